package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/meta"
)

// catalogCmds are the data map's `kiln table` commands besides show.
func (a *App) catalogCmds() []*cobra.Command {
	return []*cobra.Command{a.tableListCmd(), a.tableSearchCmd(), a.tableCrawlCmd(), a.tableLifecycleCmd(), a.tableExpireCmd()}
}

func (a *App) tableListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every table the catalog crawler found, with layer, owner, rows and size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			res, err := c.CatalogTables(cmd.Context(), proj)
			if err != nil {
				return a.apiError(err)
			}
			return a.printCatalog(res)
		},
	}
}

func (a *App) printCatalog(res *api.CatalogTables) error {
	if a.asJSON {
		return a.printJSON(res)
	}
	tw := a.table("ENGINE", "TABLE", "KIND", "LAYER", "OWNER", "ROWS", "SIZE", "COLUMNS")
	for _, t := range res.Tables {
		row(tw, t.Engine, t.FullName(), t.Kind, t.Layer, t.Owner, count(t.Rows), size(t.SizeBytes), len(t.Columns))
	}
	return tw.Flush()
}

func (a *App) tableCrawlCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "crawl",
		Short: "Crawl the project's data sources now (the server also does it periodically and after each run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			res, err := c.Crawl(cmd.Context(), proj)
			if err != nil {
				return a.apiError(err)
			}
			return a.printCatalog(res)
		},
	}
}

func (a *App) tableSearchCmd() *cobra.Command {
	var q catalog.Query
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search tables, columns, tags and comments; name matches first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			q.Text = args[0]
			res, err := c.SearchCatalog(cmd.Context(), proj, q)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(res)
			}
			tw := a.table("TABLE", "MATCHED", "TEXT", "ENGINE", "LAYER", "OWNER")
			for _, h := range res.Hits {
				what := h.Field
				if h.Column != "" && h.Field == catalog.FieldComment {
					what = "comment of " + h.Column
				}
				row(tw, h.Table, what+" ("+h.Match+")", h.Text, h.Engine, h.Layer, h.Owner)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(res.Hits) == 0 {
				fmt.Fprintf(a.Stdout, "nothing matches %q\n", args[0])
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Engine, "engine", "", "only tables of this data source")
	f.StringVar(&q.Layer, "layer", "", "only tables of this layer: "+strings.Join(catalog.Layers, ", "))
	f.StringVar(&q.Owner, "owner", "", "only tables whose producing task has this owner")
	f.StringVar(&q.Tag, "tag", "", "only tables with this tag")
	f.IntVar(&q.Limit, "limit", catalog.DefaultSearchLimit, "at most this many hits")
	return cmd
}

func (a *App) tableLifecycleCmd() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "lifecycle",
		Short: "List tables no task writes and nobody queried for N days: candidates for cleanup",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 {
				return usagef("--days must be at least 1, got %d", days)
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			res, err := c.Lifecycle(cmd.Context(), proj, days)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(res)
			}
			tw := a.table("ENGINE", "TABLE", "ROWS", "SIZE", "LAST WRITE", "LAST QUERY")
			for _, cd := range res.Candidates {
				row(tw, cd.Engine, cd.Table, count(cd.Rows), size(cd.SizeBytes), when(cd.LastWrite), when(cd.LastQuery))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "%d table(s) unwritten and unqueried for %d days\n", len(res.Candidates), days)
			return nil
		},
	}
	cmd.Flags().IntVar(&days, "days", 90, "idle days")
	return cmd
}

func (a *App) tableExpireCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "expire-partitions",
		Short: "Drop partitions older than their table's TTL (tag ttl:Nd on the task writing it); try --dry-run first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			res, err := c.ExpirePartitions(cmd.Context(), proj, dryRun)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(res)
			}
			tw := a.table("TABLE", "PARTITION", "ROWS", "SQL")
			for _, p := range res.Partitions {
				row(tw, p.Table, p.Column+"="+p.Value, p.Rows, p.SQL)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			verb := "dropped"
			if dryRun {
				verb = "would drop (dry run)"
			}
			fmt.Fprintf(a.Stdout, "%s %d partition(s)\n", verb, len(res.Partitions))
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the partitions and drop nothing")
	return cmd
}

func count(n int64) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func size(n int64) string {
	switch {
	case n < 0:
		return "-"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// printCatalogEntry prints what the crawler knows of a table on its page.
func (a *App) printCatalogEntry(t *meta.CatalogTable, changes []*meta.CatalogChange) error {
	w := a.Stdout
	fmt.Fprintf(w, "engine %s, database %s, %s, layer %s, owner %s, rows %s, size %s\n", t.Engine, t.Database, t.Kind,
		orDash(t.Layer), orDash(t.Owner), count(t.Rows), size(t.SizeBytes))
	if t.Comment != "" {
		fmt.Fprintf(w, "comment: %s\n", t.Comment)
	}
	if len(t.Tags) > 0 {
		fmt.Fprintf(w, "tags: %s\n", strings.Join(t.Tags, ", "))
	}
	tw := a.table("COLUMN", "TYPE", "SENSITIVE", "COMMENT")
	for _, c := range t.Columns {
		s := ""
		if c.Sensitive {
			s = "yes"
		}
		row(tw, c.Name, c.Type, s, c.Comment)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(t.Partitions) > 0 {
		tw := a.table("PARTITION", "ROWS", "UPDATED")
		for _, p := range t.Partitions {
			row(tw, p.Column+"="+p.Value, p.Rows, when(p.UpdatedAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, c := range changes {
		fmt.Fprintf(w, "schema change %s: %s %s %s\n", c.At.Format(time.RFC3339), c.Kind, c.Column, c.Detail)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
