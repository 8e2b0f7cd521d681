package cli

import (
	"cmp"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/meta"
)

func (a *App) qualityCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "quality", Short: "Data quality rules and their results"}
	var rule string
	var limit int
	results := &cobra.Command{
		Use:   "results TABLE",
		Short: "Rule results on a table, newest period first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			q := url.Values{"table": {args[0]}, "limit": {strconv.Itoa(limit)}}
			if rule != "" {
				q.Set("rule", rule)
			}
			rs, err := c.QualityResults(cmd.Context(), proj, q)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(rs)
			}
			tw := a.table("BIZDATE", "RULE", "SEVERITY", "VERDICT", "METRIC", "THRESHOLD", "INSTANCE", "MESSAGE")
			for _, r := range rs {
				metric := "-"
				if r.Metric != nil {
					metric = strconv.FormatFloat(*r.Metric, 'g', 6, 64)
				}
				row(tw, r.Bizdate, r.Rule, r.Severity, r.Verdict, metric, cmp.Or(r.Threshold, "-"), r.InstanceID, r.Message)
			}
			return tw.Flush()
		},
	}
	results.Flags().StringVar(&rule, "rule", "", "only this rule")
	results.Flags().IntVar(&limit, "limit", 50, "at most this many")
	var task string
	rules := &cobra.Command{
		Use:   "rules",
		Short: "The rules of the project's tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			rs, err := c.QualityRules(cmd.Context(), proj, task)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(rs)
			}
			tw := a.table("TASK", "RULE", "CHECK", "SEVERITY", "SOURCE", "ID")
			for _, r := range rs {
				row(tw, r.Task, r.Name, r.Rule.Check, cmp.Or(r.Rule.Severity, meta.SeverityWeak), r.Source, r.ID)
			}
			return tw.Flush()
		},
	}
	rules.Flags().StringVar(&task, "task", "", "only this task")
	cmd.AddCommand(results, rules, a.qualityAddCmd(), a.qualityDeleteCmd())
	return cmd
}

func (a *App) qualityAddCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "add FILE",
		Short: "Add the rule in a YAML or JSON file (with task:) through the API",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			var r meta.QualityRule
			if err := yaml.UnmarshalWithOptions(src, &r, yaml.DisallowUnknownField()); err != nil {
				return usagef("%s: %v", args[0], err)
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			st, err := c.AddQualityRule(cmd.Context(), proj, &r)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(st)
			}
			fmt.Fprintf(a.Stdout, "added rule %d to task %s\n", st.ID, st.Rule.Task)
			return nil
		},
	}
}

func (a *App) qualityDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a rule added through the API",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("a rule ID is a positive number, got %q", args[0])
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			if err := c.DeleteQualityRule(cmd.Context(), proj, id); err != nil {
				return a.apiError(err)
			}
			fmt.Fprintf(a.Stdout, "deleted rule %d\n", id)
			return nil
		},
	}
}

func (a *App) alertCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "alert", Aliases: []string{"alerts"}, Short: "Alerts: list, acknowledge, silence; the alert settings, on-call rota and channel tests"}
	var state string
	list := &cobra.Command{
		Use: "list", Short: "Alerts, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			as, err := c.Alerts(cmd.Context(), proj, meta.AlertState(state))
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(as)
			}
			tw := a.table("ID", "KIND", "TASK", "BIZDATE", "STATE", "COUNT", "LAST", "TITLE")
			for _, x := range as {
				row(tw, x.ID, x.Kind, x.Task, x.Bizdate, x.State, x.Count, x.LastAt.Local().Format("01-02 15:04"), x.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&state, "state", "", "open or acked")
	ack := &cobra.Command{
		Use: "ack ID", Short: "Acknowledge an alert (stops its escalation)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("an alert ID is a positive number, got %q", args[0])
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			x, err := c.AckAlert(cmd.Context(), proj, id)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(x)
			}
			fmt.Fprintf(a.Stdout, "alert %d acknowledged by %s\n", x.ID, x.AckedBy)
			return nil
		},
	}
	unsilence := &cobra.Command{
		Use: "unsilence ID", Short: "End a silence", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("a silence ID is a positive number, got %q", args[0])
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			if err := c.Unsilence(cmd.Context(), proj, id); err != nil {
				return a.apiError(err)
			}
			fmt.Fprintf(a.Stdout, "silence %d ended\n", id)
			return nil
		},
	}
	cmd.AddCommand(list, ack, a.silenceCmd(), unsilence)
	cmd.AddCommand(a.alertSettingsCmds()...)
	return cmd
}

func (a *App) silenceCmd() *cobra.Command {
	var req api.SilenceRequest
	cmd := &cobra.Command{
		Use: "silence", Short: "Silence alerts of a task (or all) for a while; with --list, show silences", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			if req.For == "" {
				xs, err := c.Silences(cmd.Context(), proj)
				if err != nil {
					return a.apiError(err)
				}
				if a.asJSON {
					return a.printJSON(xs)
				}
				tw := a.table("ID", "TASK", "KIND", "UNTIL", "BY", "REASON")
				for _, x := range xs {
					row(tw, x.ID, cmp.Or(x.Task, "*"), cmp.Or(x.Kind, "*"), x.Until.Local().Format("2006-01-02 15:04"), x.CreatedBy, x.Reason)
				}
				return tw.Flush()
			}
			x, err := c.Silence(cmd.Context(), proj, &req)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(x)
			}
			fmt.Fprintf(a.Stdout, "silence %d until %s\n", x.ID, x.Until.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Task, "task", "", "only this task's alerts")
	cmd.Flags().StringVar(&req.Kind, "kind", "", "only this kind (instance.failed, quality.breached, …)")
	cmd.Flags().StringVar(&req.For, "for", "", "how long, e.g. 2h (without it: list silences)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why")
	return cmd
}
