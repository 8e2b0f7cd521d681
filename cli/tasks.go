package cli

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/apply"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// apiError prints a server error's details (such as a project's problems)
// and returns errReported, or returns other errors as they are.
func (a *App) apiError(err error) error {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err
	}
	fmt.Fprintf(a.Stderr, "error: %s\n", ce.Message)
	if ce.Code == "invalid_project" {
		var problems []struct {
			File    string `json:"File"`
			Line    int    `json:"Line"`
			Col     int    `json:"Col"`
			Message string `json:"Message"`
		}
		if json := ce.Details; len(json) > 0 {
			_ = jsonUnmarshal(json, &problems)
		}
		for _, p := range problems {
			fmt.Fprintf(a.Stderr, "  %s:%d:%d: %s\n", p.File, p.Line, p.Col, p.Message)
		}
	}
	if ce.Status == 401 {
		fmt.Fprintln(a.Stderr, "sign in with 'kiln login' or set KILN_TOKEN")
	}
	return errReported
}

func (a *App) taskCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "task", Short: "List and inspect tasks"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the project's tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			ts, err := c.Tasks(cmd.Context(), proj)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(ts)
			}
			tw := a.table("NAME", "TYPE", "VERSION", "STATUS", "OWNER", "UPDATED")
			for _, t := range ts {
				row(tw, t.Name, t.Type, t.CurrentVersion, t.Status, t.Owner, t.UpdatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	})
	var diff string
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a task's current version and its history (--diff A..B compares two versions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			if cmd.Flags().Changed("diff") {
				from, to, err := parseRange(diff)
				if err != nil {
					return err
				}
				d, err := c.Diff(cmd.Context(), proj, args[0], from, to)
				if err != nil {
					return a.apiError(err)
				}
				if a.asJSON {
					return a.printJSON(d)
				}
				fmt.Fprint(a.Stdout, d.Diff)
				return nil
			}
			d, err := c.Task(cmd.Context(), proj, args[0])
			if err != nil {
				return a.apiError(err)
			}
			vs, err := c.Versions(cmd.Context(), proj, args[0])
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(map[string]any{"task": d.Task, "current": d.Current, "versions": vs})
			}
			fmt.Fprintf(a.Stdout, "task %s (%s), version %d, %s\n\n", d.Task.Name, d.Task.Type, d.Task.CurrentVersion, d.Task.Status)
			fmt.Fprint(a.Stdout, apply.SpecText(d.Current.Spec))
			fmt.Fprintln(a.Stdout, "\nversions:")
			tw := a.table("  VERSION", "SAVED", "AUTHOR", "MESSAGE")
			for _, v := range vs {
				row(tw, "  "+strconv.Itoa(v.Version), v.CreatedAt.Local().Format(time.DateTime), v.Author, v.Message)
			}
			return tw.Flush()
		},
	}
	show.Flags().StringVar(&diff, "diff", "", "compare versions A..B (\"..\" for previous..current)")
	cmd.AddCommand(show)
	cmd.AddCommand(a.taskOpsCmds()...)
	return cmd
}

// parseRange reads "A..B", "..B", "A.." or "" (zeros mean the defaults).
func parseRange(s string) (int, int, error) {
	if s == "" || s == ".." {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return 0, 0, usagef("--diff takes A..B, got %q", s)
	}
	var from, to int
	var err error
	if a != "" {
		if from, err = strconv.Atoi(a); err != nil {
			return 0, 0, usagef("--diff takes version numbers, got %q", s)
		}
	}
	if b != "" {
		if to, err = strconv.Atoi(b); err != nil {
			return 0, 0, usagef("--diff takes version numbers, got %q", s)
		}
	}
	return from, to, nil
}

func (a *App) runCmd() *cobra.Command {
	var bizdate string
	var hour int
	var wait bool
	var kv []string
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run a task for one period; --wait streams its log and exits 1 if it fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := time.Parse(time.DateOnly, bizdate); err != nil {
				return usagef("--bizdate must be a date like 2024-03-01, got %q", bizdate)
			}
			ps := map[string]string{}
			for _, p := range kv {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return usagef("--param takes NAME=VALUE, got %q", p)
				}
				ps[k] = v
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			inst, err := c.Run(cmd.Context(), proj, args[0], &api.RunRequest{Bizdate: bizdate, Hour: hour, Params: ps})
			if err != nil {
				return a.apiError(err)
			}
			if !wait {
				if a.asJSON {
					return a.printJSON(inst)
				}
				fmt.Fprintf(a.Stdout, "instance %d queued: kiln instance logs %d --follow\n", inst.ID, inst.ID)
				return nil
			}
			return a.follow(cmd, c, inst.ID)
		},
	}
	cmd.Flags().StringVar(&bizdate, "bizdate", "", "the logical date, YYYY-MM-DD")
	cmd.Flags().IntVar(&hour, "hour", 0, "the logical hour of an hourly period")
	cmd.Flags().BoolVar(&wait, "wait", false, "stream the log and wait for the end")
	cmd.Flags().StringArrayVar(&kv, "param", nil, "a run parameter NAME=VALUE (repeatable)")
	_ = cmd.MarkFlagRequired("bizdate")
	return cmd
}

// follow streams an instance's log, then prints its outcome; a failed,
// killed or otherwise unsuccessful instance exits 1.
func (a *App) follow(cmd *cobra.Command, c *client.Client, id int64) error {
	out := a.Stdout
	if a.asJSON {
		out = a.Stderr
	}
	if err := c.Log(cmd.Context(), id, true, out); err != nil {
		return a.apiError(err)
	}
	inst, err := c.Wait(cmd.Context(), id)
	if err != nil {
		return a.apiError(err)
	}
	if a.asJSON {
		if err := a.printJSON(inst); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.Stdout, "instance %d %s in %dms, %d rows written\n", inst.ID, inst.State, inst.DurationMs, inst.RowsWritten)
	}
	if inst.State != meta.StateSuccess {
		return errReported
	}
	return nil
}

func (a *App) instanceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "instance", Short: "List, inspect, follow and kill instances"}
	var task, state, from, to string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List instances, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			q := url.Values{}
			for k, v := range map[string]string{"task": task, "state": state, "from": from, "to": to} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			insts, err := c.Instances(cmd.Context(), proj, q)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(insts)
			}
			tw := a.table("ID", "TASK", "BIZDATE", "STATE", "ATTEMPT", "DURATION", "ROWS", "TRIGGER")
			for _, i := range insts {
				row(tw, i.ID, i.TaskName, i.Bizdate, i.State, i.Attempt, (time.Duration(i.DurationMs) * time.Millisecond).String(), i.RowsWritten, i.Trigger)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&task, "task", "", "only this task")
	list.Flags().StringVar(&state, "state", "", "only these states, comma-separated")
	list.Flags().StringVar(&from, "from", "", "bizdate from")
	list.Flags().StringVar(&to, "to", "", "bizdate to")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many")
	cmd.AddCommand(list, a.instanceShowCmd(), a.instanceLogsCmd(), a.markCmd("kill", "Kill a queued or running instance (its process group is killed)"))
	cmd.AddCommand(a.instanceOpsCmds()...)
	return cmd
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("an instance ID is a positive number, got %q", s)
	}
	return id, nil
}

func (a *App) instanceShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show an instance, its attempts and the SQL or script it ran",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			d, err := a.client().Instance(cmd.Context(), id)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(d)
			}
			i := d.Instance
			tw := a.table("FIELD", "VALUE")
			row(tw, "id", i.ID)
			row(tw, "task", fmt.Sprintf("%s v%d", i.TaskName, i.Version))
			row(tw, "bizdate", i.Bizdate)
			row(tw, "state", i.State)
			row(tw, "trigger", i.Trigger)
			row(tw, "attempt", i.Attempt)
			row(tw, "duration", (time.Duration(i.DurationMs) * time.Millisecond).String())
			row(tw, "rows written", i.RowsWritten)
			if m := d.Sync; m != nil {
				row(tw, "sync", fmt.Sprintf("read %d, written %d, dirty %d, %d bytes, %s", m.RowsRead, m.RowsWritten, m.DirtyRows, m.Bytes, time.Duration(m.DurationMs)*time.Millisecond))
			}
			if i.Error != "" {
				row(tw, "error", strings.ReplaceAll(i.Error, "\n", " "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if i.Rendered != "" {
				fmt.Fprintf(a.Stdout, "\nrendered:\n%s\n", i.Rendered)
			}
			return nil
		},
	}
}

func (a *App) instanceLogsCmd() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print an instance's log (--follow streams it while it runs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			if err := a.client().Log(cmd.Context(), id, follow, a.Stdout); err != nil {
				return a.apiError(err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming until the instance ends")
	return cmd
}
