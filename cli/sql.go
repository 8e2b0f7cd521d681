package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func (a *App) sqlCmd() *cobra.Command {
	var eng, format string
	var limit int
	cmd := &cobra.Command{
		Use:   "sql STATEMENT",
		Short: "Run an ad-hoc statement on an engine (default: the project's default engine)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.asJSON {
				format = "json"
			}
			if format != "table" && format != "csv" && format != "json" {
				return usagef("--format must be table, csv or json, got %q", format)
			}
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			wire := format
			if format == "table" {
				wire = "json"
			}
			resp, err := c.SQL(cmd.Context(), proj, &api.SQLRequest{SQL: args[0], Engine: eng, Format: wire, Limit: limit})
			if err != nil {
				return a.apiError(err)
			}
			defer resp.Body.Close()
			if format != "table" {
				_, err := io.Copy(a.Stdout, resp.Body)
				return err
			}
			var res struct {
				api.SQLResult
				Error string `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
				return fmt.Errorf("read result: %w", err)
			}
			if res.Error != "" {
				fmt.Fprintln(a.Stderr, "error:", res.Error)
				return errReported
			}
			header := make([]string, len(res.Columns))
			for i, col := range res.Columns {
				header[i] = strings.ToUpper(col.Name)
			}
			tw := a.table(header...)
			for _, r := range res.Rows {
				cells := make([]any, len(r))
				for i, v := range r {
					if v == nil {
						v = "NULL"
					}
					cells[i] = v
				}
				row(tw, cells...)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			more := ""
			if res.Truncated {
				more = fmt.Sprintf(" (stopped at --limit %d)", limit)
			}
			fmt.Fprintf(a.Stderr, "%d row(s) in %dms%s\n", res.RowCount, res.ElapsedMs, more)
			return nil
		},
	}
	cmd.Flags().StringVar(&eng, "engine", "", "engine (data source) name")
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	cmd.Flags().IntVar(&limit, "limit", 0, "stop after this many rows (table format default: 1000)")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		if !cmd.Flags().Changed("limit") && format == "table" && !a.asJSON {
			limit = 1000
		}
	}
	return cmd
}
