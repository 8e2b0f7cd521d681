package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/meta"
)

// AlertConfig returns a project's alert settings.
func (c *Client) AlertConfig(ctx context.Context, project string) (*api.AlertSettings, error) {
	var out api.AlertSettings
	return &out, c.JSON(ctx, "GET", pp(project)+"/alerts/config", nil, &out)
}

// SetAlertConfig replaces a project's alert settings (an empty config clears them).
func (c *Client) SetAlertConfig(ctx context.Context, project string, cfg *meta.AlertConfig) (*api.AlertSettings, error) {
	var out api.AlertSettings
	return &out, c.JSON(ctx, "PUT", pp(project)+"/alerts/config", cfg, &out)
}

// OnCall returns who is on call now and the next hand-overs.
func (c *Client) OnCall(ctx context.Context, project string, next int) (*api.OnCallNow, error) {
	var out api.OnCallNow
	return &out, c.JSON(ctx, "GET", pp(project)+"/alerts/oncall?next="+strconv.Itoa(next), nil, &out)
}

// TestChannel sends a test message through an alert channel. A channel
// that fails answers OK false; an unknown one is an *Error (404).
func (c *Client) TestChannel(ctx context.Context, project, channel string) (*api.ChannelTestResult, error) {
	var out api.ChannelTestResult
	return &out, c.JSON(ctx, "POST", pp(project)+"/alerts/channels/"+url.PathEscape(channel)+"/test", nil, &out)
}

// Pools lists a project's pools with their slots and running and queued instances.
func (c *Client) Pools(ctx context.Context, project string) ([]api.PoolInfo, error) {
	var out []api.PoolInfo
	return out, c.JSON(ctx, "GET", pp(project)+"/pools", nil, &out)
}

// SetPool sets a pool's slots.
func (c *Client) SetPool(ctx context.Context, project, pool string, slots int) (*api.PoolInfo, error) {
	var out api.PoolInfo
	return &out, c.JSON(ctx, "PUT", pp(project)+"/pools/"+url.PathEscape(pool), api.SetPoolRequest{Slots: slots}, &out)
}

// DeletePool removes a pool's slots (unlimited again; duckdb back to its default).
func (c *Client) DeletePool(ctx context.Context, project, pool string) error {
	return c.JSON(ctx, "DELETE", pp(project)+"/pools/"+url.PathEscape(pool), nil, nil)
}

// TestDataSource opens a data source on the server and asks its version. A
// data source that cannot be reached answers OK false; an unknown one is an
// *Error (404).
func (c *Client) TestDataSource(ctx context.Context, project, name string) (*api.DataSourceTest, error) {
	var out api.DataSourceTest
	return &out, c.JSON(ctx, "POST", pp(project)+"/datasources/"+url.PathEscape(name)+"/test", nil, &out)
}
