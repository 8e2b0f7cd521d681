package cli

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/project"
)

// maxProjectFile caps one file sent by apply.
const maxProjectFile = 4 << 20

func (a *App) serverCmd() *cobra.Command {
	var opt ServerOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Start the Kiln server (API, worker) on the embedded default or a Postgres metadata store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.Serve == nil {
				return fmt.Errorf("this build has no server")
			}
			return a.Serve(cmd.Context(), opt, a.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.DataDir, "data", envOr("KILN_DATA", ".kiln"), "data directory (env KILN_DATA)")
	f.StringVar(&opt.Addr, "addr", envOr("KILN_ADDR", "127.0.0.1:8080"), "listen address (env KILN_ADDR)")
	f.StringVar(&opt.MetaURL, "meta", os.Getenv("KILN_META"), "metadata store: postgres://... or a SQLite file (default DATA/meta.db; env KILN_META)")
	f.StringVar(&opt.ProjectDir, "project", "", "apply this project folder at start; tasks saved in the UI or API are written back into it")
	f.BoolVar(&opt.NoWriteBack, "no-write-back", false, "do not write tasks saved in the UI or API into the --project folder")
	f.IntVar(&opt.Slots, "slots", 4, "instances this server runs at once")
	f.IntVar(&opt.LogRetention, "log-retention", 30, "days instance logs are kept")
	f.IntVar(&opt.MemoryLimitMB, "memory-limit", 0, "default memory limit of shell and python tasks, MB (0: none)")
	opt.Lineage.addFlags(f)
	return cmd
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (a *App) initCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Scaffold a project folder",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir := args[0]
			if name == "" {
				name = strings.ToLower(filepath.Base(filepath.Clean(dir)))
			}
			if err := project.Scaffold(dir, name); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "created project %s in %s\nnext: kiln validate %s && kiln apply %s\n", name, dir, dir, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "project name (default: the folder's name)")
	return cmd
}

// loadLocal validates a folder offline and prints its problems.
func (a *App) loadLocal(dir string) (*project.Project, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, usagef("%s is not a folder", dir)
	}
	p, problems := project.Load(os.DirFS(dir))
	if len(problems) == 0 {
		return p, nil
	}
	for _, pr := range problems {
		pr.File = filepath.Join(dir, pr.File)
		fmt.Fprintln(a.Stderr, pr.String())
	}
	fmt.Fprintf(a.Stderr, "%d problem(s)\n", len(problems))
	return nil, errReported
}

func (a *App) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a project folder offline and print every problem with file and line",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			p, err := a.loadLocal(args[0])
			if err != nil {
				return err
			}
			advice := a.printUpstreamAdvice(args[0], p)
			if a.asJSON {
				return a.printJSON(map[string]any{"project": p.Name, "tasks": len(p.Tasks), "problems": []any{}, "upstream_advice": nonNilAdvice(advice)})
			}
			fmt.Fprintf(a.Stdout, "project %s: %d tasks, no problems\n", p.Name, len(p.Tasks))
			return nil
		},
	}
}

// readFolder reads the files apply sends: everything but hidden entries.
func readFolder(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > maxProjectFile {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return files, err
}

func (a *App) applyCmd() *cobra.Command {
	var dryRun bool
	var message string
	cmd := &cobra.Command{
		Use:   "apply DIR",
		Short: "Push a project folder to the server: a new version of every changed task",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			p, err := a.loadLocal(dir)
			if err != nil {
				return err
			}
			a.printUpstreamAdvice(dir, p)
			files, err := readFolder(dir)
			if err != nil {
				return err
			}
			secrets := map[string]string{}
			for _, e := range p.Engines {
				if e.PasswordEnv == "" {
					continue
				}
				if v, ok := os.LookupEnv(e.PasswordEnv); ok {
					secrets[e.Name] = v
				} else {
					fmt.Fprintf(a.Stderr, "warning: %s is not set; engine %s keeps the password the server has\n", e.PasswordEnv, e.Name)
				}
			}
			res, err := a.client().Apply(cmd.Context(), p.Name, &api.ApplyRequest{Files: files, Secrets: secrets, DryRun: dryRun, Message: message})
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(res)
			}
			verb := "applied"
			if dryRun {
				verb = "would apply (dry run)"
			}
			if res.ProjectCreated {
				fmt.Fprintf(a.Stdout, "created project %s\n", res.Project)
			}
			for _, n := range res.Added {
				fmt.Fprintf(a.Stdout, "+ %s (v%d)\n", n, res.Versions[n])
			}
			for _, n := range res.Changed {
				fmt.Fprintf(a.Stdout, "~ %s (v%d)\n", n, res.Versions[n])
			}
			for _, n := range res.Removed {
				fmt.Fprintf(a.Stdout, "- %s\n", n)
			}
			fmt.Fprintf(a.Stdout, "%s %s: %d added, %d changed, %d removed, %d unchanged\n", verb, res.Project,
				len(res.Added), len(res.Changed), len(res.Removed), len(res.Unchanged))
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change and change nothing")
	cmd.Flags().StringVarP(&message, "message", "m", "", "a note saved with the new versions")
	return cmd
}

func (a *App) loginCmd() *cobra.Command {
	var user string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in and save a token for later commands (or check the token given with --token/KILN_TOKEN)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			if user != "" {
				if !passwordStdin {
					return usagef("give the password on standard input with --password-stdin")
				}
				pw, err := bufio.NewReader(a.Stdin).ReadString('\n')
				if err != nil && pw == "" {
					return usagef("no password on standard input")
				}
				res, err := c.Login(cmd.Context(), user, strings.TrimRight(pw, "\r\n"))
				if err != nil {
					return a.apiError(err)
				}
				c.Token = res.Token
			}
			if c.Token == "" {
				return usagef("give --user NAME --password-stdin, or a token with --token or KILN_TOKEN")
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return a.apiError(err)
			}
			if err := os.MkdirAll(filepath.Dir(tokenFile()), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(tokenFile(), []byte(c.Token+"\n"), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "signed in to %s as %s; token saved in %s\n", c.Base, me.User.Name, tokenFile())
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "user name")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	return cmd
}
