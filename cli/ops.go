package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/scheduler"
)

// instanceOpsCmds are the ops subcommands of `kiln instance`.
func (a *App) instanceOpsCmds() []*cobra.Command {
	var downstream bool
	rerun := &cobra.Command{
		Use:   "rerun ID",
		Short: "Rerun a finished instance; --downstream reruns its downstream instances of the same bizdate after it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			insts, err := a.client().Rerun(cmd.Context(), id, downstream)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(insts)
			}
			for _, i := range insts {
				fmt.Fprintf(a.Stdout, "%d\t%s\t%s\t%s\n", i.ID, i.TaskName, i.Bizdate, i.State)
			}
			fmt.Fprintf(a.Stdout, "%d instance(s) to run again\n", len(insts))
			return nil
		},
	}
	rerun.Flags().BoolVar(&downstream, "downstream", false, "also rerun every downstream instance of the same bizdate, in dependency order")
	out := []*cobra.Command{rerun, a.markCmd("set-success", "Mark an instance success by hand (its downstream proceeds)"),
		a.markCmd("set-failed", "Mark an instance failed by hand"), a.whyCmd()}
	for _, dir := range []string{"upstream", "downstream"} {
		out = append(out, a.instanceDepsCmd(dir))
	}
	return out
}

// markCmd is an instance action by ID (kill, set-success, set-failed):
// POST /api/v1/instances/{id}/{verb}, printing the instance's new state.
func (a *App) markCmd(verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			inst, err := a.client().Mark(cmd.Context(), id, verb)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(inst)
			}
			fmt.Fprintf(a.Stdout, "instance %d is %s\n", inst.ID, inst.State)
			return nil
		},
	}
}

func (a *App) whyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "why ID",
		Short: "Why an instance is not running: unmet upstreams (the whole chain), paused task, pool full, its time",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			why, err := a.client().Why(cmd.Context(), id)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(why)
			}
			fmt.Fprintf(a.Stdout, "instance %d (%s %s) is %s\n", why.Instance, why.Task, why.Bizdate, why.State)
			for _, r := range why.Reasons {
				fmt.Fprintf(a.Stdout, "  - %s\n", r)
			}
			if len(why.Chain) > 0 {
				fmt.Fprintln(a.Stdout, "unmet upstream instances:")
				for _, st := range why.Chain {
					fmt.Fprintf(a.Stdout, "%s%d %s.%s %s %s: %s\n", strings.Repeat("  ", st.Depth), st.ID, st.Project, st.Task, st.Bizdate, st.State, st.Reason)
				}
			}
			return nil
		},
	}
}

func (a *App) instanceDepsCmd(dir string) *cobra.Command {
	var depth int
	cmd := &cobra.Command{
		Use:   dir + " ID",
		Short: "The instance's " + dir + " instances",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			nodes, err := a.client().InstanceDeps(cmd.Context(), id, dir, depth)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(nodes)
			}
			tw := a.table("DEPTH", "ID", "PROJECT", "TASK", "BIZDATE", "STATE")
			for _, n := range nodes {
				row(tw, n.Depth, n.ID, n.Project, n.TaskName, n.Bizdate, n.State)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&depth, "depth", 1, "levels to walk (0: all)")
	return cmd
}

// taskOpsCmds are the ops subcommands of `kiln task`.
func (a *App) taskOpsCmds() []*cobra.Command {
	var out []*cobra.Command
	for _, verb := range []string{"pause", "resume", "offline"} {
		out = append(out, a.taskActionCmd(verb))
	}
	for _, dir := range []string{"upstream", "downstream"} {
		out = append(out, a.taskDepsCmd(dir))
	}
	return out
}

func (a *App) taskActionCmd(verb string) *cobra.Command {
	var force bool
	short := map[string]string{
		"pause":   "Pause tasks: their instances are planned but not run until resumed",
		"resume":  "Resume paused or offline tasks",
		"offline": "Take tasks offline (no more planning); refused while online tasks depend on them unless --force",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " NAME...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			failed := false
			for _, name := range args {
				t, err := c.TaskAction(cmd.Context(), proj, name, verb, force)
				if err != nil {
					a.apiError(err)
					failed = true
					continue
				}
				fmt.Fprintf(a.Stdout, "task %s is %s\n", t.Name, t.Status)
			}
			if failed {
				return errReported
			}
			return nil
		},
	}
	if verb == "offline" {
		cmd.Flags().BoolVar(&force, "force", false, "take it offline even though online tasks depend on it")
	}
	return cmd
}

func (a *App) taskDepsCmd(dir string) *cobra.Command {
	var depth int
	cmd := &cobra.Command{
		Use:   dir + " NAME",
		Short: "The task's " + dir + " tasks, in any project",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			deps, err := c.TaskDeps(cmd.Context(), proj, args[0], dir, depth)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(deps)
			}
			tw := a.table("DEPTH", "PROJECT", "TASK", "STATUS", "SCHEDULE")
			for _, t := range deps.Tasks {
				row(tw, t.Depth, t.Project, t.Task, t.Status, t.Cron)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&depth, "depth", 1, "levels to walk (0: all)")
	return cmd
}

func (a *App) backfillCmd() *cobra.Command {
	var req api.BackfillRequest
	cmd := &cobra.Command{
		Use:   "backfill TASK... --from D1 --to D2",
		Short: "Run tasks for every period of a bizdate range, at most --parallel periods at once, below production priority",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range []string{req.From, req.To} {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					return usagef("--from and --to must be dates like 2024-03-01, got %q", d)
				}
			}
			if req.Order != "asc" && req.Order != "desc" {
				return usagef("--order must be asc or desc, got %q", req.Order)
			}
			if req.Parallel < 0 {
				return usagef("--parallel must be 0 (no limit) or more")
			}
			req.Tasks = args
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			res, err := c.Backfill(cmd.Context(), proj, &req)
			if err != nil {
				return a.apiError(err)
			}
			return a.printBackfill(res, req.DryRun)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.From, "from", "", "first bizdate (YYYY-MM-DD)")
	f.StringVar(&req.To, "to", "", "last bizdate (YYYY-MM-DD)")
	f.BoolVar(&req.Downstream, "downstream", false, "also backfill every task downstream of these")
	f.IntVar(&req.Parallel, "parallel", 1, "periods in flight at once (0: no limit)")
	f.StringVar(&req.Order, "order", "asc", "asc or desc: which dates go first")
	f.BoolVar(&req.DryRun, "dry-run", false, "print the instances it would create, their count and an estimated duration")
	return cmd
}

func (a *App) printBackfill(res *scheduler.BackfillResult, dry bool) error {
	if a.asJSON {
		return a.printJSON(res)
	}
	tw := a.table("ID", "PROJECT", "TASK", "BIZDATE")
	for _, e := range res.Instances {
		id := "-"
		if e.ID != 0 {
			id = fmt.Sprint(e.ID)
		}
		row(tw, id, e.Project, e.Task, e.Bizdate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	est := (time.Duration(res.EstimatedMs) * time.Millisecond).Round(time.Second).String()
	if res.Unknown > 0 {
		est += fmt.Sprintf(" (%d task(s) never succeeded yet, not counted)", res.Unknown)
	}
	if dry {
		fmt.Fprintf(a.Stdout, "dry run: %d instances over %d periods would be created; estimated duration %s\n", res.Count, res.Periods, est)
		return nil
	}
	fmt.Fprintf(a.Stdout, "backfill %d: %d instances over %d periods; estimated duration %s\n", res.ID, res.Count, res.Periods, est)
	return nil
}

func (a *App) opsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ops", Short: "Operations overview"}
	cmd.AddCommand(a.opsSummaryCmd())
	return cmd
}

func (a *App) opsSummaryCmd() *cobra.Command {
	var q client.SummaryQuery
	var all bool
	sum := &cobra.Command{
		Use:   "summary",
		Short: "Per bizdate (and group): instances by state, success and on-time rates, total and p95 duration, CPU-seconds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch q.GroupBy {
			case "", "none", "owner", "tier", "project":
			default:
				return usagef("--group-by must be owner, tier, project or none, got %q", q.GroupBy)
			}
			if q.Top < 0 {
				return usagef("--top must be 0 (all groups) or more, got %d", q.Top)
			}
			group := q.GroupBy
			if group == "" && all {
				group = "project" // the cross-project summary's default
			}
			if q.Top > 0 && (group == "" || group == "none") {
				return usagef("--top needs --group-by")
			}
			if all && cmd.Flag("project").Changed {
				return usagef("--all-projects and -p exclude each other")
			}
			printRows := func(rows []*scheduler.Summary) error {
				return a.show(rows, func() error { return a.printSummary(rows, group) })
			}
			if all {
				rows, err := a.client().OpsSummary(cmd.Context(), "", &q)
				if err != nil {
					return a.apiError(err)
				}
				return printRows(rows)
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				rows, err := c.OpsSummary(cmd.Context(), proj, &q)
				if err != nil {
					return err
				}
				return printRows(rows)
			})
		},
	}
	f := sum.Flags()
	f.StringVar(&q.From, "from", "", "bizdate from (default 7 days before --to)")
	f.StringVar(&q.To, "to", "", "bizdate to (default today)")
	f.StringVar(&q.GroupBy, "group-by", "", "owner, tier or project: one row per group per bizdate (default none; project with --all-projects)")
	f.StringVar(&q.Owner, "owner", "", "only tasks with this owner")
	f.StringVar(&q.Tier, "tier", "", "only tasks of this tier")
	f.IntVar(&q.Top, "top", 0, "keep the top N groups by instance count and merge the rest into one (others) row (0: all)")
	f.BoolVar(&all, "all-projects", false, "over every project you are a member of (administrators: all)")
	return sum
}

// printSummary prints summary rows, with a column for the group when
// grouped ("owner", "tier", "project").
func (a *App) printSummary(rows []*scheduler.Summary, group string) error {
	grouped := group != "" && group != "none"
	header := []string{"BIZDATE", "TOTAL", "SUCCESS", "FAILED", "RUNNING", "WAITING", "SUCCESS%", "ON-TIME%", "DURATION", "P95", "CPU-S"}
	if grouped {
		header = append([]string{"BIZDATE", strings.ToUpper(group)}, header[1:]...)
	}
	tw := a.table(header...)
	for _, s := range rows {
		ontime := "-"
		if s.OnTimeRate >= 0 {
			ontime = fmt.Sprintf("%.0f", s.OnTimeRate*100)
		}
		cols := []any{s.Bizdate, s.Total, s.States["success"], s.States["failed"], s.States["running"], s.States["waiting"] + s.States["queued"],
			fmt.Sprintf("%.0f", s.SuccessRate*100), ontime, (time.Duration(s.TotalDurationMs) * time.Millisecond).String(),
			(time.Duration(s.P95DurationMs) * time.Millisecond).String(), fmt.Sprintf("%.1f", s.CPUSeconds)}
		if grouped {
			g := orDash(s.Group)
			if s.Others {
				g = "(others)"
			}
			cols = append([]any{s.Bizdate, g}, cols[1:]...)
		}
		row(tw, cols...)
	}
	return tw.Flush()
}
