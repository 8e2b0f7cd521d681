package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/catalog"
)

func datamapPath(project, rest string) string {
	return "/api/v1/projects/" + url.PathEscape(project) + "/datamap/" + rest
}

// CatalogTables lists the tables the crawler found.
func (c *Client) CatalogTables(ctx context.Context, project string) (*api.CatalogTables, error) {
	var out api.CatalogTables
	return &out, c.JSON(ctx, "GET", datamapPath(project, "tables"), nil, &out)
}

// Crawl crawls a project's data sources now.
func (c *Client) Crawl(ctx context.Context, project string) (*api.CatalogTables, error) {
	var out api.CatalogTables
	return &out, c.JSON(ctx, "POST", datamapPath(project, "crawl"), nil, &out)
}

// SearchCatalog searches tables, columns, tags and comments.
func (c *Client) SearchCatalog(ctx context.Context, project string, q catalog.Query) (*api.SearchResult, error) {
	v := url.Values{"q": {q.Text}}
	for k, s := range map[string]string{"engine": q.Engine, "layer": q.Layer, "owner": q.Owner, "tag": q.Tag} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out api.SearchResult
	return &out, c.JSON(ctx, "GET", datamapPath(project, "search?"+v.Encode()), nil, &out)
}

// Lifecycle lists tables no task writes and nobody queried for days days.
func (c *Client) Lifecycle(ctx context.Context, project string, days int) (*api.LifecycleResult, error) {
	var out api.LifecycleResult
	return &out, c.JSON(ctx, "GET", datamapPath(project, "lifecycle?days="+strconv.Itoa(days)), nil, &out)
}

// ExpirePartitions drops (or lists, dryRun) partitions past their table's TTL.
func (c *Client) ExpirePartitions(ctx context.Context, project string, dryRun bool) (*api.ExpireResult, error) {
	var out api.ExpireResult
	return &out, c.JSON(ctx, "POST", datamapPath(project, "partitions/expire?dry_run="+strconv.FormatBool(dryRun)), nil, &out)
}
