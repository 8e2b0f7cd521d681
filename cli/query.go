package cli

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

func queryID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%q is not a query id (a positive whole number)", s)
	}
	return id, nil
}

// sqlArg reads SQL from the argument, a file named @FILE, or stdin for -.
func (a *App) sqlArg(arg string) (string, error) {
	switch {
	case arg == "-":
		b, err := io.ReadAll(a.Stdin)
		return string(b), err
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return "", usagef("%v", err)
		}
		return string(b), nil
	}
	return arg, nil
}

func (a *App) queryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "query", Short: "Self-service query: run, status, cancel, history, download"}
	cmd.AddCommand(a.queryRunCmd(), a.queryStatusCmd(), a.queryCancelCmd(), a.queryHistoryCmd(), a.queryDownloadCmd())
	return cmd
}

func (a *App) queryRunCmd() *cobra.Command {
	var eng string
	var wait time.Duration
	var detach bool
	var pageSize int
	run := &cobra.Command{
		Use:   "run SQL|@FILE|-",
		Short: "Run a query; waits for it and prints the first page (--detach prints its id at once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, err := a.sqlArg(args[0])
			if err != nil {
				return err
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				st, err := c.SubmitQuery(cmd.Context(), proj, &api.QueryRequest{SQL: sql, Engine: eng, WaitMs: 1000})
				if err != nil {
					return err
				}
				if detach {
					if a.asJSON {
						return a.printJSON(st)
					}
					fmt.Fprintf(a.Stdout, "query %d %s\n", st.ID, st.Status)
					return nil
				}
				deadline := time.Now().Add(wait)
				for st.Status == meta.QueryRunning && time.Now().Before(deadline) {
					select {
					case <-cmd.Context().Done():
						return cmd.Context().Err()
					case <-time.After(200 * time.Millisecond):
					}
					if st, err = c.QueryStatus(cmd.Context(), proj, st.ID); err != nil {
						return err
					}
				}
				if st.Status != meta.QuerySucceeded {
					fmt.Fprintf(a.Stderr, "query %d %s after %d ms: %s\n", st.ID, st.Status, st.ElapsedMs, st.Error)
					return errReported
				}
				page, err := c.QueryRows(cmd.Context(), proj, st.ID, 1, pageSize)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(page)
				}
				var names []string
				for _, col := range page.Columns {
					names = append(names, strings.ToUpper(col.Name))
				}
				tw := a.table(names...)
				for _, r := range page.Rows {
					var vals []any
					_ = jsonUnmarshal(r, &vals)
					row(tw, vals...)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.Stderr, "query %d: %d rows in %d ms", st.ID, st.Rows, st.ElapsedMs)
				if st.Truncated {
					fmt.Fprint(a.Stderr, " (truncated at the row limit; download for all)")
				}
				fmt.Fprintln(a.Stderr)
				return nil
			})
		},
	}
	run.Flags().StringVar(&eng, "engine", "", "engine or data source (default: the project's)")
	run.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait for the result")
	run.Flags().BoolVar(&detach, "detach", false, "start the query and print its id")
	run.Flags().IntVar(&pageSize, "rows", 100, "rows to print")
	return run
}

func (a *App) queryStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status ID", Short: "A query's status and elapsed time", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := queryID(args[0])
			if err != nil {
				return err
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				st, err := c.QueryStatus(cmd.Context(), proj, id)
				if err != nil {
					return err
				}
				return a.printStatus(st.ID, string(st.Status), st.ElapsedMs, st.Rows, st.Error, st)
			})
		},
	}
}

func (a *App) printStatus(id int64, status string, ms, rows int64, msg string, v any) error {
	if a.asJSON {
		return a.printJSON(v)
	}
	fmt.Fprintf(a.Stdout, "query %d %s, %d ms, %d rows", id, status, ms, rows)
	if msg != "" {
		fmt.Fprintf(a.Stdout, ": %s", msg)
	}
	fmt.Fprintln(a.Stdout)
	return nil
}

func (a *App) queryCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use: "cancel ID", Short: "Cancel a running query on its engine", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := queryID(args[0])
			if err != nil {
				return err
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				st, err := c.CancelQuery(cmd.Context(), proj, id)
				if err != nil {
					return err
				}
				return a.printStatus(st.ID, string(st.Status), st.ElapsedMs, st.Rows, st.Error, st)
			})
		},
	}
}

func (a *App) queryHistoryCmd() *cobra.Command {
	var limit int
	h := &cobra.Command{
		Use: "history", Short: "Your queries in the project, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				runs, err := c.QueryHistory(cmd.Context(), proj, limit)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(runs)
				}
				tw := a.table("ID", "STATUS", "ENGINE", "STARTED", "MS", "ROWS", "SQL")
				for _, r := range runs {
					ms := "-"
					if r.EndedAt != nil {
						ms = strconv.FormatInt(r.EndedAt.Sub(r.StartedAt).Milliseconds(), 10)
					}
					row(tw, r.ID, r.Status, r.Engine, r.StartedAt.Local().Format("2006-01-02 15:04:05"), ms, r.Rows, oneLineSQL(r.SQL, 60))
				}
				return tw.Flush()
			})
		},
	}
	h.Flags().IntVar(&limit, "limit", 50, "at most this many")
	return h
}

func oneLineSQL(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func (a *App) queryDownloadCmd() *cobra.Command {
	var eng, format, out string
	d := &cobra.Command{
		Use: "download SQL|@FILE|-", Short: "Download a query's whole result as CSV, XLSX or Parquet", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, err := a.sqlArg(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				return usagef("name the file to write with -o (- for stdout)")
			}
			if format == "" {
				format = strings.TrimPrefix(strings.ToLower(out[strings.LastIndex(out, ".")+1:]), ".")
				if !strings.Contains(out, ".") || out == "-" {
					format = "csv"
				}
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				var w io.Writer = a.Stdout
				if out != "-" {
					f, err := os.Create(out)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				err := c.Download(cmd.Context(), proj, &api.DownloadRequest{SQL: sql, Engine: eng, Format: format}, w)
				if err != nil && out != "-" {
					_ = os.Remove(out)
				}
				if err == nil && out != "-" {
					fmt.Fprintf(a.Stderr, "wrote %s\n", out)
				}
				return err
			})
		},
	}
	d.Flags().StringVar(&eng, "engine", "", "engine or data source (default: the project's)")
	d.Flags().StringVar(&format, "format", "", "csv, xlsx or parquet (default: from the file name)")
	d.Flags().StringVarP(&out, "output", "o", "", "file to write (- for stdout)")
	return d
}

func (a *App) savedCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "saved", Short: "Saved queries: yours and those shared in the project"}
	list := &cobra.Command{
		Use: "list", Short: "Saved queries by folder and name", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				qs, err := c.SavedQueries(cmd.Context(), proj)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(qs)
				}
				tw := a.table("ID", "FOLDER", "NAME", "OWNER", "SHARED", "SQL")
				for _, q := range qs {
					row(tw, q.ID, cmp.Or(q.Folder, "-"), q.Name, q.Owner, q.Shared, oneLineSQL(q.SQL, 60))
				}
				return tw.Flush()
			})
		},
	}
	var folder, eng string
	var shared bool
	save := &cobra.Command{
		Use: "save NAME SQL|@FILE|-", Short: "Save a query (replaces yours of the same folder and name)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, err := a.sqlArg(args[1])
			if err != nil {
				return err
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				q, err := c.SaveQuery(cmd.Context(), proj, &api.SaveQueryRequest{Folder: folder, Name: args[0], Engine: eng, SQL: sql, Shared: shared})
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(q)
				}
				fmt.Fprintf(a.Stdout, "saved query %d %s/%s\n", q.ID, cmp.Or(q.Folder, "-"), q.Name)
				return nil
			})
		},
	}
	save.Flags().StringVar(&folder, "folder", "", "folder")
	save.Flags().StringVar(&eng, "engine", "", "engine")
	save.Flags().BoolVar(&shared, "shared", false, "share with the project's members")
	del := &cobra.Command{
		Use: "delete ID", Short: "Delete one of your saved queries", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := queryID(args[0])
			if err != nil {
				return err
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				if err := c.DeleteSavedQuery(cmd.Context(), proj, id); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "deleted saved query %d\n", id)
				return nil
			})
		},
	}
	cmd.AddCommand(list, save, del)
	return cmd
}

func (a *App) grantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "Table grants: a granted table is readable only by its grantees and owners"}
	list := &cobra.Command{
		Use: "list", Short: "The project's table grants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				gs, err := c.TableGrants(cmd.Context(), proj)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(gs)
				}
				tw := a.table("TABLE", "USER", "GRANTED BY", "AT")
				for _, g := range gs {
					row(tw, g.Table, g.UserName, g.GrantedBy, g.CreatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			})
		},
	}
	add := &cobra.Command{
		Use: "add TABLE USER", Short: "Let a user read a table (the table becomes restricted)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				g, err := c.GrantTable(cmd.Context(), proj, args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "granted %s to %s\n", g.Table, g.UserName)
				return nil
			})
		},
	}
	revoke := &cobra.Command{
		Use: "revoke TABLE USER", Short: "Take a user's grant away (the table stays restricted)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				if err := c.RevokeTable(cmd.Context(), proj, args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "revoked %s from %s\n", args[0], args[1])
				return nil
			})
		},
	}
	cmd.AddCommand(list, add, revoke)
	return cmd
}

func (a *App) auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Audit trails for administrators"}
	var limit int
	sens := &cobra.Command{
		Use: "sensitive", Short: "Queries and downloads that touched sensitive columns (all projects unless -p)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			es, err := c.SensitiveAccess(cmd.Context(), a.project, limit)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(es)
			}
			tw := a.table("AT", "USER", "PROJECT", "KIND", "COLUMNS", "ROWS", "UNMASKED", "SQL")
			for _, e := range es {
				row(tw, e.At.Local().Format(time.DateTime), e.User, e.Project, e.Kind, strings.Join(e.Columns, ","), e.Rows, e.Unmasked, oneLineSQL(e.SQL, 60))
			}
			return tw.Flush()
		},
	}
	sens.Flags().IntVar(&limit, "limit", 100, "at most this many")
	cmd.AddCommand(sens)
	return cmd
}
