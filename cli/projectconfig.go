package cli

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// poolCmd is `kiln pool`: the console's pools, slots set by owners.
func (a *App) poolCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pool", Aliases: []string{"pools"}, Short: "Pools: how many instances of a kind run at once"}
	list := &cobra.Command{
		Use: "list", Short: "Pools with their slots (0: unlimited) and running and queued instances now", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				pools, err := c.Pools(cmd.Context(), proj)
				if err != nil {
					return err
				}
				return a.show(pools, func() error {
					tw := a.table("POOL", "SLOTS", "RUNNING", "QUEUED", "SET BY")
					for _, p := range pools {
						slots, by := strconv.Itoa(p.Slots), "default"
						if p.Slots == 0 {
							slots = "unlimited"
						}
						if p.Configured {
							by = "project"
						}
						row(tw, cmp.Or(p.Name, "(none)"), slots, p.Running, p.Queued, by)
					}
					return tw.Flush()
				})
			})
		},
	}
	set := &cobra.Command{
		Use: "set NAME SLOTS", Short: "Set a pool's slots (owners); the scheduler uses them at once", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			slots, err := strconv.Atoi(args[1])
			if err != nil {
				return usagef("SLOTS is a whole number of at least 1, got %q", args[1])
			}
			if err := meta.ValidatePool(args[0], slots); err != nil {
				return usageError{err}
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				p, err := c.SetPool(cmd.Context(), proj, args[0], slots)
				if err != nil {
					return err
				}
				return a.show(p, func() error {
					_, err := fmt.Fprintf(a.Stdout, "pool %s: %d slots (%d running, %d queued)\n", p.Name, p.Slots, p.Running, p.Queued)
					return err
				})
			})
		},
	}
	del := &cobra.Command{
		Use: "delete NAME", Aliases: []string{"rm"}, Short: "Remove a pool's slots (owners): unlimited again, duckdb back to its default", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				if err := c.DeletePool(cmd.Context(), proj, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "pool %s: slots removed\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(list, set, del)
	return cmd
}

// alertSettingsCmds are `kiln alert config|oncall|test`.
func (a *App) alertSettingsCmds() []*cobra.Command {
	cfg := &cobra.Command{Use: "config", Short: "The project's alert settings: channels, policies, rota, quiet hours, windows"}
	show := &cobra.Command{
		Use: "show", Short: "Print the alert settings as YAML (the shape of kiln.yaml's alerts: section)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				st, err := c.AlertConfig(cmd.Context(), proj)
				if err != nil {
					return err
				}
				return a.show(st, func() error { return a.printAlertSettings(st) })
			})
		},
	}
	set := &cobra.Command{
		Use:   "set FILE",
		Short: "Replace the alert settings with a YAML or JSON file shaped like kiln.yaml's alerts: section (owners; an empty file clears them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			var ac meta.AlertConfig
			if err := yaml.UnmarshalWithOptions(src, &ac, yaml.DisallowUnknownField()); err != nil {
				return usagef("%s: %v", args[0], err)
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				st, err := c.SetAlertConfig(cmd.Context(), proj, &ac)
				if err != nil {
					return err
				}
				return a.show(st, func() error {
					saved := st.Config
					rota := "no rota"
					if saved.Rota != nil {
						rota = fmt.Sprintf("a rota of %d", len(saved.Rota.People))
					}
					fmt.Fprintf(a.Stdout, "alert settings of %s saved: %d channel(s), %d policy(ies), %s\n", proj, len(saved.Channels), len(saved.Policies), rota)
					a.printUnsetEnv(st.Env)
					return nil
				})
			})
		},
	}
	cfg.AddCommand(show, set)

	var next int
	oncall := &cobra.Command{
		Use: "oncall", Short: "Who is on call now by the rota, and the next hand-overs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if next < 0 || next > 50 {
				return usagef("--next must be between 0 and 50, got %d", next)
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				oc, err := c.OnCall(cmd.Context(), proj, next)
				if err != nil {
					return err
				}
				return a.show(oc, func() error {
					if oc.Person == "" {
						_, err := fmt.Fprintf(a.Stdout, "project %s has no rota: nobody is on call\n", proj)
						return err
					}
					loc, err := time.LoadLocation(oc.Timezone)
					if err != nil {
						loc = time.UTC
					}
					fmt.Fprintf(a.Stdout, "on call now: %s (times in %s)\n", oc.Person, oc.Timezone)
					tw := a.table("PERSON", "FROM", "TO")
					for _, s := range oc.Shifts {
						row(tw, s.Person, s.From.In(loc).Format("2006-01-02 15:04"), s.To.In(loc).Format("2006-01-02 15:04"))
					}
					return tw.Flush()
				})
			})
		},
	}
	oncall.Flags().IntVar(&next, "next", 5, "hand-overs to show after the current shift (0-50)")

	test := &cobra.Command{
		Use: "test CHANNEL", Short: "Send a test message through one channel now (owners); exit 1 if it does not go through", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				res, err := c.TestChannel(cmd.Context(), proj, args[0])
				if err != nil {
					return err
				}
				if err := a.show(res, func() error {
					if res.OK {
						fmt.Fprintf(a.Stdout, "channel %s: test message delivered in %d ms\n", res.Channel, res.Ms)
					}
					return nil
				}); err != nil {
					return err
				}
				if !res.OK {
					fmt.Fprintf(a.Stderr, "error: %s (after %d ms)\n", res.Error, res.Ms)
					return errReported
				}
				return nil
			})
		},
	}
	return []*cobra.Command{cfg, oncall, test}
}

// printAlertSettings prints the settings as YAML that `kiln alert config
// set` reads back, then, as comments, the server variables channels name
// that are not set.
func (a *App) printAlertSettings(st *api.AlertSettings) error {
	b, err := yaml.MarshalWithOptions(st.Config, yaml.IndentSequence(true))
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(b)) == "{}" {
		_, err := fmt.Fprintln(a.Stdout, "# no alert settings")
		return err
	}
	if _, err := a.Stdout.Write(b); err != nil {
		return err
	}
	a.printUnsetEnv(st.Env)
	return nil
}

// printUnsetEnv warns, as YAML comments, of channel variables the server
// lacks: those channels cannot send.
func (a *App) printUnsetEnv(env map[string]bool) {
	var unset []string
	for name, set := range env {
		if !set {
			unset = append(unset, name)
		}
	}
	slices.Sort(unset)
	if len(unset) > 0 {
		fmt.Fprintf(a.Stdout, "# not set on the server: %s\n", strings.Join(unset, ", "))
	}
}
