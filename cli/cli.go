// Package cli is Kiln's command line: `kiln server` starts a server through
// the function main gives it, and every other command is a client of the
// REST API.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/client"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the thing asked failed
	ExitUsage   = 2 // the command was used wrongly
)

// ServerOptions are `kiln server`'s flags.
type ServerOptions struct {
	DataDir    string
	Addr       string
	MetaURL    string
	ProjectDir string
	// NoWriteBack keeps tasks saved through the API out of ProjectDir.
	NoWriteBack   bool
	Slots         int
	LogRetention  int // days
	MemoryLimitMB int
	Lineage       LineageOptions // cli/lineage.go
}

// ServeFunc starts a server and blocks until ctx ends; main supplies it so
// this package builds no stores or engines itself.
type ServeFunc func(ctx context.Context, opt ServerOptions, stderr io.Writer) error

// App holds what every command shares.
type App struct {
	Serve  ServeFunc
	Work   ServeFunc // `kiln worker`: claims and runs instances, no API
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader

	server  string
	token   string
	project string
	asJSON  bool
}

// usageError marks bad usage (exit 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// failure is an error whose message was already printed (exit 1).
var errReported = errors.New("failed")

// Execute runs the command line and returns the exit code.
func (a *App) Execute(ctx context.Context, args []string) int {
	root := a.root()
	root.SetArgs(args)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	switch {
	case errors.Is(err, errReported):
		return ExitFailure
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintln(a.Stderr, "error:", err)
		fmt.Fprintln(a.Stderr, "run 'kiln --help' for usage")
		return ExitUsage
	}
	fmt.Fprintln(a.Stderr, "error:", err)
	return ExitFailure
}

func isCobraUsage(err error) bool {
	m := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

func (a *App) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "kiln",
		Short:         "Kiln: one-stop data development and governance",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.server, "server", cmp.Or(os.Getenv("KILN_SERVER"), "127.0.0.1:8080"), "server address (env KILN_SERVER)")
	root.PersistentFlags().StringVar(&a.token, "token", os.Getenv("KILN_TOKEN"), "API token (env KILN_TOKEN; default: the one saved by kiln login)")
	root.PersistentFlags().StringVarP(&a.project, "project", "p", os.Getenv("KILN_PROJECT"), "project name (env KILN_PROJECT; default: your only project)")
	root.PersistentFlags().BoolVar(&a.asJSON, "json", false, "print JSON for scripts")
	root.AddCommand(a.serverCmd(), a.initCmd(), a.validateCmd(), a.applyCmd(), a.loginCmd(),
		a.taskCmd(), a.runCmd(), a.instanceCmd(), a.sqlCmd())
	root.AddCommand(a.lineageCmd(), a.tableCmd())
	root.AddCommand(a.qualityCmd(), a.alertCmd())
	root.AddCommand(a.queryCmd(), a.savedCmd(), a.grantCmd(), a.auditCmd(), a.dataAPICmd(), a.appCmd())
	root.AddCommand(a.backfillCmd(), a.opsCmd(), a.workerCmd())
	root.AddCommand(a.cdcCmd())
	root.AddCommand(a.poolCmd(), a.dataSourceCmd())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

// client returns an API client with the token from the flag, the
// environment or the saved login.
func (a *App) client() *client.Client {
	tok := a.token
	// Then the saved login, then the admin token of a local server started
	// from this folder (make run).
	for _, f := range []string{tokenFile(), filepath.Join(envOr("KILN_DATA", ".kiln"), "admin.token")} {
		if tok != "" {
			break
		}
		if b, err := os.ReadFile(f); err == nil {
			tok = strings.TrimSpace(string(b))
		}
	}
	return client.New(a.server, tok)
}

func tokenFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "kiln", "token")
}

// projectName resolves -p, then kiln.yaml in the working directory, then
// the caller's only project.
func (a *App) projectName(ctx context.Context, c *client.Client) (string, error) {
	if a.project != "" {
		return a.project, nil
	}
	me, err := c.Me(ctx)
	if err != nil {
		return "", err
	}
	switch len(me.Projects) {
	case 0:
		return "", usagef("you are in no project yet: apply one with 'kiln apply DIR'")
	case 1:
		return me.Projects[0].Project.Name, nil
	}
	var names []string
	for _, p := range me.Projects {
		names = append(names, p.Project.Name)
	}
	return "", usagef("name a project with -p (one of: %s)", strings.Join(names, ", "))
}

// withProject runs f with a client and the resolved project name, turning
// API errors into printed messages.
func (a *App) withProject(cmd *cobra.Command, f func(c *client.Client, proj string) error) error {
	c := a.client()
	proj, err := a.projectName(cmd.Context(), c)
	if err != nil {
		return a.apiError(err)
	}
	if err := f(c, proj); err != nil {
		return a.apiError(err)
	}
	return nil
}

// show prints v as JSON with --json, else runs text, which prints it for
// people: the last step of every command that reads something.
func (a *App) show(v any, text func() error) error {
	if a.asJSON {
		return a.printJSON(v)
	}
	return text()
}

func (a *App) printJSON(v any) error {
	enc := json.NewEncoder(a.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *App) table(header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	return tw
}

func row(tw io.Writer, cols ...any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(tw, strings.Join(parts, "\t"))
}
