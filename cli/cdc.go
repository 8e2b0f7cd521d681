package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/integration"
)

// cdcCmd drives the server's CDC jobs (sync tasks with mode: cdc).
func (a *App) cdcCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cdc", Short: "Real-time CDC syncs: start, stop, status, restart"}
	list := &cobra.Command{
		Use:   "list",
		Short: "The CDC jobs the server runs, with their lag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := a.client()
			proj, err := a.projectName(cmd.Context(), c)
			if err != nil {
				return a.apiError(err)
			}
			js, err := c.CDCJobs(cmd.Context(), proj)
			if err != nil {
				return a.apiError(err)
			}
			if a.asJSON {
				return a.printJSON(js)
			}
			return a.printCDC(js...)
		},
	}
	cmd.AddCommand(list)
	for _, v := range []struct{ verb, short string }{
		{"status", "A CDC job's state, binlog position, lag and events behind"},
		{"start", "Start a CDC job: snapshot first, or resume from its saved position"},
		{"stop", "Stop a CDC job (it stays stopped across server restarts)"},
		{"restart", "Stop a CDC job and start it again from its saved position"},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   v.verb + " TASK",
			Short: v.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c := a.client()
				proj, err := a.projectName(cmd.Context(), c)
				if err != nil {
					return a.apiError(err)
				}
				st, err := c.CDC(cmd.Context(), proj, args[0], v.verb)
				if err != nil {
					return a.apiError(err)
				}
				if a.asJSON {
					return a.printJSON(st)
				}
				return a.printCDC(st)
			},
		})
	}
	return cmd
}

func (a *App) printCDC(js ...*integration.CDCStatus) error {
	tw := a.table("TASK", "STATE", "POSITION", "GTID", "LAG_S", "EVENTS_BEHIND", "BYTES_BEHIND", "APPLIED", "ERROR")
	for _, j := range js {
		pos := "-"
		if j.File != "" {
			pos = fmt.Sprintf("%s:%d", j.File, j.Pos)
		}
		bytes := "-"
		if j.BytesBehind >= 0 {
			bytes = strconv.FormatInt(j.BytesBehind, 10)
		}
		row(tw, j.Task, j.State, pos, cdcDash(j.GTID), fmt.Sprintf("%.1f", j.LagSeconds), j.EventsBehind, bytes, j.RowsApplied, cdcDash(j.Error))
	}
	return tw.Flush()
}

func cdcDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
