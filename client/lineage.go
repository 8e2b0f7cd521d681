package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/lineage"
)

// LineageGraph returns the lineage around a table or column.
func (c *Client) LineageGraph(ctx context.Context, project, node, direction string, depth int) (*lineage.Subgraph, error) {
	q := url.Values{"node": {node}, "direction": {direction}, "depth": {strconv.Itoa(depth)}}
	var out lineage.Subgraph
	return &out, c.JSON(ctx, "GET", "/api/v1/projects/"+url.PathEscape(project)+"/lineage/graph?"+q.Encode(), nil, &out)
}

// LineageImpact returns everything downstream of a table or column.
func (c *Client) LineageImpact(ctx context.Context, project, node string) (*lineage.Subgraph, error) {
	var out lineage.Subgraph
	return &out, c.JSON(ctx, "GET", "/api/v1/projects/"+url.PathEscape(project)+"/lineage/impact?node="+url.QueryEscape(node), nil, &out)
}

// TablePage returns the data map's page of a table.
func (c *Client) TablePage(ctx context.Context, project, table string, depth int) (*api.TablePage, error) {
	var out api.TablePage
	return &out, c.JSON(ctx, "GET", "/api/v1/projects/"+url.PathEscape(project)+"/datamap/tables/"+url.PathEscape(table)+"?depth="+strconv.Itoa(depth), nil, &out)
}
