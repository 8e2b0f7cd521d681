package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
)

// SubmitQuery starts an ad-hoc query.
func (c *Client) SubmitQuery(ctx context.Context, project string, req *api.QueryRequest) (*query.Status, error) {
	var out query.Status
	return &out, c.JSON(ctx, "POST", pp(project)+"/queries", req, &out)
}

// QueryStatus returns a query's status.
func (c *Client) QueryStatus(ctx context.Context, project string, id int64) (*query.Status, error) {
	var out query.Status
	return &out, c.JSON(ctx, "GET", fmt.Sprintf("%s/queries/%d", pp(project), id), nil, &out)
}

// CancelQuery cancels a running query.
func (c *Client) CancelQuery(ctx context.Context, project string, id int64) (*query.Status, error) {
	var out query.Status
	return &out, c.JSON(ctx, "POST", fmt.Sprintf("%s/queries/%d/cancel", pp(project), id), nil, &out)
}

// QueryRows reads one page of a finished query's result.
func (c *Client) QueryRows(ctx context.Context, project string, id int64, page, size int) (*query.Page, error) {
	var out query.Page
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	return &out, c.JSON(ctx, "GET", fmt.Sprintf("%s/queries/%d/rows?%s", pp(project), id, q.Encode()), nil, &out)
}

// QueryHistory lists the caller's runs, newest first.
func (c *Client) QueryHistory(ctx context.Context, project string, limit int) ([]*meta.QueryRun, error) {
	var out []*meta.QueryRun
	return out, c.JSON(ctx, "GET", fmt.Sprintf("%s/queries?limit=%d", pp(project), limit), nil, &out)
}

// Download streams a query's whole result to w.
func (c *Client) Download(ctx context.Context, project string, req *api.DownloadRequest, w io.Writer) error {
	resp, err := c.Do(ctx, "POST", pp(project)+"/download", req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return err
	}
	if msg := resp.Trailer.Get("X-Kiln-Error"); msg != "" {
		return &Error{Status: 500, Code: "stream_failed", Message: msg}
	}
	return nil
}

// SavedQueries lists the caller's and shared saved queries.
func (c *Client) SavedQueries(ctx context.Context, project string) ([]*meta.SavedQuery, error) {
	var out []*meta.SavedQuery
	return out, c.JSON(ctx, "GET", pp(project)+"/saved-queries", nil, &out)
}

// SaveQuery saves a query by folder and name.
func (c *Client) SaveQuery(ctx context.Context, project string, req *api.SaveQueryRequest) (*meta.SavedQuery, error) {
	var out meta.SavedQuery
	return &out, c.JSON(ctx, "POST", pp(project)+"/saved-queries", req, &out)
}

// DeleteSavedQuery deletes one of the caller's saved queries.
func (c *Client) DeleteSavedQuery(ctx context.Context, project string, id int64) error {
	return c.JSON(ctx, "DELETE", fmt.Sprintf("%s/saved-queries/%d", pp(project), id), nil, nil)
}

// TableGrants lists a project's table grants.
func (c *Client) TableGrants(ctx context.Context, project string) ([]*meta.TableGrant, error) {
	var out []*meta.TableGrant
	return out, c.JSON(ctx, "GET", pp(project)+"/table-grants", nil, &out)
}

// GrantTable grants a user a table.
func (c *Client) GrantTable(ctx context.Context, project, table, user string) (*meta.TableGrant, error) {
	var out meta.TableGrant
	return &out, c.JSON(ctx, "POST", pp(project)+"/table-grants", &api.GrantRequest{Table: table, User: user}, &out)
}

// RevokeTable revokes a user's grant on a table.
func (c *Client) RevokeTable(ctx context.Context, project, table, user string) error {
	return c.JSON(ctx, "DELETE", pp(project)+"/table-grants/"+url.PathEscape(table)+"/"+url.PathEscape(user), nil, nil)
}

// SensitiveAccess lists queries that touched sensitive columns (admins).
func (c *Client) SensitiveAccess(ctx context.Context, project string, limit int) ([]*api.SensitiveAccess, error) {
	var out []*api.SensitiveAccess
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if project != "" {
		q.Set("project", project)
	}
	return out, c.JSON(ctx, "GET", "/api/v1/audit/sensitive?"+q.Encode(), nil, &out)
}

// PublishDataAPI publishes a new version of a data API.
func (c *Client) PublishDataAPI(ctx context.Context, project string, spec *dataapi.Spec) (*meta.DataAPI, error) {
	var out meta.DataAPI
	return &out, c.JSON(ctx, "POST", pp(project)+"/data-apis", spec, &out)
}

// DataAPIs lists a project's data APIs.
func (c *Client) DataAPIs(ctx context.Context, project string) ([]*meta.DataAPI, error) {
	var out []*meta.DataAPI
	return out, c.JSON(ctx, "GET", pp(project)+"/data-apis", nil, &out)
}

// DataAPIByPath finds a project's data API by its path.
func (c *Client) DataAPIByPath(ctx context.Context, project, path string) (*meta.DataAPI, error) {
	apis, err := c.DataAPIs(ctx, project)
	if err != nil {
		return nil, err
	}
	for _, a := range apis {
		if a.Path == path {
			return a, nil
		}
	}
	return nil, &Error{Status: 404, Code: "not_found", Message: fmt.Sprintf("no data API at path %s in project %s", path, project)}
}

// DataAPI returns an API with its definition and versions.
func (c *Client) DataAPI(ctx context.Context, project string, id int64) (*api.DataAPIDetail, error) {
	var out api.DataAPIDetail
	return &out, c.JSON(ctx, "GET", fmt.Sprintf("%s/data-apis/%d", pp(project), id), nil, &out)
}

// RollbackDataAPI makes an earlier version current.
func (c *Client) RollbackDataAPI(ctx context.Context, project string, id int64, version int) (*meta.DataAPI, error) {
	var out meta.DataAPI
	return &out, c.JSON(ctx, "POST", fmt.Sprintf("%s/data-apis/%d/rollback", pp(project), id), &api.DataAPIStateRequest{Version: version}, &out)
}

// SetDataAPIOnline takes an API offline or back online.
func (c *Client) SetDataAPIOnline(ctx context.Context, project string, id int64, online bool) (*meta.DataAPI, error) {
	var out meta.DataAPI
	what := "offline"
	if online {
		what = "online"
	}
	return &out, c.JSON(ctx, "POST", fmt.Sprintf("%s/data-apis/%d/%s", pp(project), id, what), nil, &out)
}

// DataAPIMetrics returns an API's metrics over a window (of one app's calls when app is set).
func (c *Client) DataAPIMetrics(ctx context.Context, project string, id int64, window, app string) (*dataapi.Metrics, error) {
	var out dataapi.Metrics
	q := url.Values{"window": {window}}
	if app != "" {
		q.Set("app", app)
	}
	return &out, c.JSON(ctx, "GET", fmt.Sprintf("%s/data-apis/%d/metrics?%s", pp(project), id, q.Encode()), nil, &out)
}

// DataAPICalls returns an API's call log over a window.
func (c *Client) DataAPICalls(ctx context.Context, project string, id int64, window string, limit int) ([]*meta.DataAPICall, error) {
	var out []*meta.DataAPICall
	q := url.Values{"window": {window}, "limit": {strconv.Itoa(limit)}}
	return out, c.JSON(ctx, "GET", fmt.Sprintf("%s/data-apis/%d/calls?%s", pp(project), id, q.Encode()), nil, &out)
}

// CreateApp creates an app; the token is in the answer only.
func (c *Client) CreateApp(ctx context.Context, project string, req *api.CreateAppRequest) (*dataapi.NewApp, error) {
	var out dataapi.NewApp
	return &out, c.JSON(ctx, "POST", pp(project)+"/apps", req, &out)
}

// Apps lists a project's apps.
func (c *Client) Apps(ctx context.Context, project string) ([]*meta.DataApp, error) {
	var out []*meta.DataApp
	return out, c.JSON(ctx, "GET", pp(project)+"/apps", nil, &out)
}

// GrantApp lets an app call an API by path.
func (c *Client) GrantApp(ctx context.Context, project, app, apiPath string) (*meta.DataApp, error) {
	var out meta.DataApp
	return &out, c.JSON(ctx, "POST", pp(project)+"/apps/"+url.PathEscape(app)+"/grants", &api.AppGrantRequest{API: apiPath}, &out)
}

// RotateApp issues an app a new token.
func (c *Client) RotateApp(ctx context.Context, project, app string, req *api.RotateAppRequest) (*dataapi.NewApp, error) {
	var out dataapi.NewApp
	return &out, c.JSON(ctx, "POST", pp(project)+"/apps/"+url.PathEscape(app)+"/token", req, &out)
}
