package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/dataapi"
)

func (a *App) dataAPICmd() *cobra.Command {
	cmd := &cobra.Command{Use: "api", Short: "One-click data APIs: publish a SELECT as GET /data/v1/<project>/<path>"}
	publish := &cobra.Command{
		Use: "publish FILE", Short: "Publish the API defined in a YAML or JSON file (a new version)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			var spec dataapi.Spec
			if err := yaml.UnmarshalWithOptions(src, &spec, yaml.DisallowUnknownField(), yaml.UseJSONUnmarshaler()); err != nil {
				return usagef("%s: %v", args[0], err)
			}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				row, err := c.PublishDataAPI(cmd.Context(), proj, &spec)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(row)
				}
				fmt.Fprintf(a.Stdout, "published %s version %d: GET /data/v1/%s/%s\n", row.Path, row.Version, proj, row.Path)
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "The project's data APIs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				rows, err := c.DataAPIs(cmd.Context(), proj)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(rows)
				}
				tw := a.table("PATH", "VERSION", "ONLINE", "UPDATED")
				for _, r := range rows {
					row(tw, r.Path, r.Version, r.Online, r.UpdatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use: "show PATH", Short: "An API's definition and versions", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withAPI(cmd, args[0], func(c *client.Client, proj string, id int64) error {
				d, err := c.DataAPI(cmd.Context(), proj, id)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(d)
				}
				fmt.Fprintf(a.Stdout, "%s: version %d, online %t\nGET /data/v1/%s/%s\norder by %s\n\n%s\n\n", d.Path, d.Version, d.Online, proj, d.Path, d.Definition.OrderBy, d.Definition.SQL)
				tw := a.table("PARAM", "TYPE", "REQUIRED", "DEFAULT")
				for _, p := range d.Definition.Params {
					row(tw, p.Name, p.Type, p.Required, p.Default)
				}
				_ = tw.Flush()
				fmt.Fprintln(a.Stdout)
				tw = a.table("VERSION", "AUTHOR", "AT")
				for _, v := range d.Versions {
					row(tw, v.Version, v.Author, v.CreatedAt.Local().Format(time.DateTime))
				}
				return tw.Flush()
			})
		},
	}
	rollback := &cobra.Command{
		Use: "rollback PATH VERSION", Short: "Make an earlier version current", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := strconv.Atoi(args[1])
			if err != nil || v < 1 {
				return usagef("VERSION must be a positive whole number, got %q", args[1])
			}
			return a.withAPI(cmd, args[0], func(c *client.Client, proj string, id int64) error {
				row, err := c.RollbackDataAPI(cmd.Context(), proj, id, v)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "%s now serves version %d\n", row.Path, row.Version)
				return nil
			})
		},
	}
	cmd.AddCommand(publish, list, show, rollback, a.apiOnlineCmd(false), a.apiOnlineCmd(true), a.apiMetricsCmd())
	return cmd
}

// withAPI resolves an API path to its id.
func (a *App) withAPI(cmd *cobra.Command, path string, f func(c *client.Client, proj string, id int64) error) error {
	return a.withProject(cmd, func(c *client.Client, proj string) error {
		row, err := c.DataAPIByPath(cmd.Context(), proj, path)
		if err != nil {
			return err
		}
		return f(c, proj, row.ID)
	})
}

func (a *App) apiOnlineCmd(online bool) *cobra.Command {
	use, short := "offline PATH", "Take an API offline (it answers 503)"
	if online {
		use, short = "online PATH", "Bring an API back online"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withAPI(cmd, args[0], func(c *client.Client, proj string, id int64) error {
				row, err := c.SetDataAPIOnline(cmd.Context(), proj, id, online)
				if err != nil {
					return err
				}
				state := "offline"
				if row.Online {
					state = "online"
				}
				fmt.Fprintf(a.Stdout, "%s is %s\n", row.Path, state)
				return nil
			})
		},
	}
}

func (a *App) apiMetricsCmd() *cobra.Command {
	var window, app string
	m := &cobra.Command{
		Use: "metrics PATH", Short: "Calls, QPS, error rate, p50/p95 latency and rows over a window", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withAPI(cmd, args[0], func(c *client.Client, proj string, id int64) error {
				m, err := c.DataAPIMetrics(cmd.Context(), proj, id, window, app)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(m)
				}
				tw := a.table("WINDOW", "CALLS", "QPS", "ERROR RATE", "P50 MS", "P95 MS", "ROWS", "CACHE HITS")
				row(tw, m.Window, m.Calls, fmt.Sprintf("%.3f", m.QPS), fmt.Sprintf("%.1f%%", 100*m.ErrorRate), m.P50Ms, m.P95Ms, m.Rows, m.CacheHits)
				return tw.Flush()
			})
		},
	}
	m.Flags().StringVar(&window, "window", "1h", "how far back")
	m.Flags().StringVar(&app, "app", "", "only this app's calls")
	return m
}

func (a *App) appCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "app", Short: "Apps that call data APIs with their own tokens"}
	var apis []string
	var sign bool
	var rateLimit float64
	var expires time.Duration
	create := &cobra.Command{
		Use: "create NAME", Short: "Create an app; prints its token (and signing secret) once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &api.CreateAppRequest{Name: args[0], APIs: apis, Sign: sign, RateLimit: rateLimit, ExpiresAt: expiry(expires)}
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				out, err := c.CreateApp(cmd.Context(), proj, req)
				if err != nil {
					return err
				}
				return a.printNewApp(out)
			})
		},
	}
	create.Flags().StringSliceVar(&apis, "api", nil, "path of an API it may call (repeat)")
	create.Flags().BoolVar(&sign, "sign", false, "require HMAC-signed requests")
	create.Flags().Float64Var(&rateLimit, "rate-limit", 0, "requests per second (0: none)")
	create.Flags().DurationVar(&expires, "expires-in", 0, "the token expires after this long (0: never)")
	list := &cobra.Command{
		Use: "list", Short: "The project's apps", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				apps, err := c.Apps(cmd.Context(), proj)
				if err != nil {
					return err
				}
				if a.asJSON {
					return a.printJSON(apps)
				}
				tw := a.table("NAME", "APIS", "RATE LIMIT", "EXPIRES")
				for _, ap := range apps {
					exp := "never"
					if ap.ExpiresAt != nil {
						exp = ap.ExpiresAt.Local().Format(time.DateTime)
					}
					row(tw, ap.Name, len(ap.APIs), ap.RateLimit, exp)
				}
				return tw.Flush()
			})
		},
	}
	grant := &cobra.Command{
		Use: "grant NAME API_PATH", Short: "Let an app call a data API", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				if _, err := c.GrantApp(cmd.Context(), proj, args[0], args[1]); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "app %s may call %s\n", args[0], args[1])
				return nil
			})
		},
	}
	var rsign bool
	var rexpires time.Duration
	token := &cobra.Command{
		Use: "token NAME", Short: "Issue an app a new token (the old one stops working); prints it once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withProject(cmd, func(c *client.Client, proj string) error {
				out, err := c.RotateApp(cmd.Context(), proj, args[0], &api.RotateAppRequest{Sign: rsign, ExpiresAt: expiry(rexpires)})
				if err != nil {
					return err
				}
				return a.printNewApp(out)
			})
		},
	}
	token.Flags().BoolVar(&rsign, "sign", false, "require HMAC-signed requests (a new secret)")
	token.Flags().DurationVar(&rexpires, "expires-in", 0, "the token expires after this long (0: never)")
	cmd.AddCommand(create, list, grant, token)
	return cmd
}

func expiry(d time.Duration) *time.Time {
	if d <= 0 {
		return nil
	}
	t := time.Now().Add(d).UTC()
	return &t
}

func (a *App) printNewApp(out *dataapi.NewApp) error {
	if a.asJSON {
		return a.printJSON(out)
	}
	fmt.Fprintf(a.Stdout, "app %s\ntoken: %s\n", out.App.Name, out.Token)
	if out.Secret != "" {
		fmt.Fprintf(a.Stdout, "signing secret: %s\n", out.Secret)
	}
	fmt.Fprintln(a.Stdout, "(shown once: keep them safe)")
	return nil
}
