package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func (a *App) workerCmd() *cobra.Command {
	var opt ServerOptions
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Claim and run instances from a shared (Postgres) metadata store, with no API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.Work == nil {
				return fmt.Errorf("this build has no worker")
			}
			return a.Work(cmd.Context(), opt, a.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.DataDir, "data", envOr("KILN_DATA", ".kiln"), "data directory: logs, secrets key, embedded warehouse (env KILN_DATA)")
	f.StringVar(&opt.MetaURL, "meta", os.Getenv("KILN_META"), "metadata store: postgres://... or a SQLite file (default DATA/meta.db; env KILN_META)")
	f.IntVar(&opt.Slots, "slots", 4, "instances this worker runs at once")
	f.IntVar(&opt.MemoryLimitMB, "memory-limit", 0, "default memory limit of shell and python tasks, MB (0: none)")
	return cmd
}
