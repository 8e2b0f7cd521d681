package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/client"
)

// dataSourceCmd is `kiln datasource`.
func (a *App) dataSourceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "datasource", Aliases: []string{"datasources"}, Short: "The project's data sources (engines)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "test NAME",
		Short: "Open a data source on the server with its stored secret and ask its version (5 s timeout); exit 1 if it fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				res, err := c.TestDataSource(cmd.Context(), proj, args[0])
				if err != nil {
					return err
				}
				if err := a.show(res, func() error {
					if res.OK {
						fmt.Fprintf(a.Stdout, "%s: ok in %d ms, version %s\n", args[0], res.LatencyMS, orDash(res.Version))
					}
					return nil
				}); err != nil {
					return err
				}
				if !res.OK {
					fmt.Fprintf(a.Stderr, "error: data source %s: %s (after %d ms)\n", args[0], res.Error, res.LatencyMS)
					return errReported
				}
				return nil
			})
		},
	})
	return cmd
}
