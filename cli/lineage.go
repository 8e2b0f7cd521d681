package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/project"
)

func (a *App) lineageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lineage",
		Short: "SQL lineage: of any SQL text (offline), and impact of a change",
	}
	cmd.AddCommand(a.lineageSQLCmd(), a.lineageImpactCmd())
	return cmd
}

func (a *App) lineageImpactCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "impact TABLE[.COLUMN]",
		Short: "List every downstream table or column and the tasks that make them, with depth",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			g, err := c.LineageImpact(cmd.Context(), proj, args[0])
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(g)
			}
			tw := a.table("DEPTH", "KIND", "NAME", "MADE BY")
			made := map[string][]string{}
			for _, e := range g.Edges {
				made[e.Target] = append(made[e.Target], e.Task)
			}
			for _, n := range g.Nodes[1:] {
				row(tw, n.Depth, n.Kind, n.ID, strings.Join(uniq(made[n.ID]), ","))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(g.Nodes) == 1 {
				fmt.Fprintf(a.Stdout, "nothing downstream of %s\n", args[0])
			}
			return nil
		},
	}
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (a *App) tableCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "table", Short: "The data map: tables, their pages, search and lifecycle"}
	var depth int
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Producers, upstream/downstream lineage, columns and update records of a table",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			p, err := c.TablePage(cmd.Context(), proj, args[0], depth)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(p)
			}
			return a.printTablePage(p)
		},
	}
	show.Flags().IntVar(&depth, "depth", 3, "lineage depth (0: no limit)")
	cmd.AddCommand(show)
	cmd.AddCommand(a.catalogCmds()...)
	return cmd
}

func (a *App) printTablePage(p *api.TablePage) error {
	w := a.Stdout
	fmt.Fprintf(w, "table %s\n", p.Table)
	if p.Catalog != nil {
		if err := a.printCatalogEntry(p.Catalog, p.Changes); err != nil {
			return err
		}
	}
	for _, pr := range p.Producers {
		fmt.Fprintf(w, "produced by task %s (version %d, schedule %q)\n  %s\n", pr.Task, pr.Version, pr.Schedule.Cron, strings.ReplaceAll(strings.TrimSpace(pr.SQL), "\n", "\n  "))
	}
	if len(p.Readers) > 0 {
		fmt.Fprintf(w, "read by tasks: %s\n", strings.Join(p.Readers, ", "))
	}
	var ups, downs []string
	for _, n := range p.Upstream.Nodes[1:] {
		ups = append(ups, fmt.Sprintf("%s (%d)", n.ID, n.Depth))
	}
	for _, n := range p.Downstream.Nodes[1:] {
		downs = append(downs, fmt.Sprintf("%s (%d)", n.ID, n.Depth))
	}
	fmt.Fprintf(w, "upstream: %s\ndownstream: %s\n", strings.Join(ups, ", "), strings.Join(downs, ", "))
	if len(p.Columns) > 0 {
		tw := a.table("COLUMN", "SOURCES")
		for _, c := range p.Columns {
			row(tw, c.Column, strings.Join(c.Sources, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, u := range p.QueriedBy {
		fmt.Fprintf(w, "queried by %s at %s (%s)\n", u.User, u.At.Format(time.RFC3339), u.Action)
	}
	if len(p.Updates) > 0 {
		tw := a.table("INSTANCE", "TASK", "BIZDATE", "AT", "ROWS", "DURATION")
		for _, u := range p.Updates {
			row(tw, u.InstanceID, u.TaskName, u.Bizdate, u.At.Format(time.RFC3339), u.Rows, time.Duration(u.DurationMS)*time.Millisecond)
		}
		return tw.Flush()
	}
	return nil
}

func (a *App) lineageSQLCmd() *cobra.Command {
	var dialect, catalogFile string
	cmd := &cobra.Command{
		Use:   "sql [FILE|-]",
		Short: "Print the table and column lineage of SQL text (works offline)",
		Long: "Parses SQL (one statement or a script) with the dialect's parser and prints\n" +
			"{\"sources\", \"targets\", \"columns\"} as JSON. --catalog FILE.json gives\n" +
			"{\"schema.table\": [\"col\", ...]} for * expansion and unqualified columns.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var text []byte
			var err error
			if len(args) == 0 || args[0] == "-" {
				text, err = io.ReadAll(a.Stdin)
			} else {
				text, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			opt := lineage.Options{}
			if catalogFile != "" {
				b, err := os.ReadFile(catalogFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &opt.Catalog); err != nil {
					return usagef("--catalog %s: want {\"schema.table\": [\"col\", ...]}: %v", catalogFile, err)
				}
			}
			if _, err := lineage.Parse(dialect, ""); err != nil && strings.HasPrefix(err.Error(), "unknown dialect") {
				return usagef("--dialect: %v", err)
			}
			res, err := lineage.Analyze(dialect, string(text), opt)
			var pe *lineage.ParseError
			if errors.As(err, &pe) {
				fmt.Fprintf(a.Stderr, "error: parse error at line %d, column %d: %s\n", pe.Line, pe.Column, pe.Msg)
				return errReported
			}
			if err != nil {
				return err
			}
			return a.printJSON(res)
		},
	}
	cmd.Flags().StringVar(&dialect, "dialect", "ansi", "SQL dialect: "+strings.Join(lineage.Dialects, ", "))
	cmd.Flags().StringVar(&catalogFile, "catalog", "", "JSON file {\"schema.table\": [\"col\", ...]}")
	return cmd
}

// printUpstreamAdvice warns, on stderr, about each task whose declared
// upstreams differ from those its SQL lineage implies; a task with
// auto_upstreams gets them added on apply, so it gets a note instead.
func (a *App) printUpstreamAdvice(dir string, p *project.Project) []lineage.UpstreamAdvice {
	advice := lineage.AdviseUpstreams(p, false)
	auto := map[string]bool{}
	for _, t := range p.Tasks {
		auto[t.Name] = t.AutoUpstreams
	}
	for _, adv := range advice {
		where := filepath.Join(dir, adv.Path)
		for _, m := range adv.Missing {
			if auto[adv.Task] {
				fmt.Fprintf(a.Stderr, "note: %s: task %s: upstream %s is added from lineage (auto_upstreams): it writes %s\n", where, adv.Task, m.Task, strings.Join(m.Tables, ", "))
			} else {
				fmt.Fprintf(a.Stderr, "warning: %s: task %s reads %s, written by task %s, which is not among its upstreams (add it, or set auto_upstreams: true)\n",
					where, adv.Task, strings.Join(m.Tables, ", "), m.Task)
			}
		}
		for _, u := range adv.Unneeded {
			fmt.Fprintf(a.Stderr, "warning: %s: task %s has upstream %s, but reads nothing %s writes\n", where, adv.Task, u, u)
		}
	}
	return advice
}

func nonNilAdvice(a []lineage.UpstreamAdvice) []lineage.UpstreamAdvice {
	if a == nil {
		return []lineage.UpstreamAdvice{}
	}
	return a
}
