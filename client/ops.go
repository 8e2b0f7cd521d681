package client

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

func ip(id int64) string { return fmt.Sprintf("/api/v1/instances/%d", id) }

// Rerun reruns an instance, with its downstream instances if asked.
func (c *Client) Rerun(ctx context.Context, id int64, downstream bool) ([]*meta.Instance, error) {
	var out []*meta.Instance
	return out, c.JSON(ctx, "POST", ip(id)+"/rerun", &api.RerunRequest{Downstream: downstream}, &out)
}

// Mark sets an instance success or failed ("set-success", "set-failed").
func (c *Client) Mark(ctx context.Context, id int64, verb string) (*meta.Instance, error) {
	var out meta.Instance
	return &out, c.JSON(ctx, "POST", ip(id)+"/"+verb, nil, &out)
}

// Why explains why an instance is not running.
func (c *Client) Why(ctx context.Context, id int64) (*scheduler.Why, error) {
	var out scheduler.Why
	return &out, c.JSON(ctx, "GET", ip(id)+"/why", nil, &out)
}

// InstanceDeps lists an instance's upstream or downstream instances (dir
// "upstream" or "downstream").
func (c *Client) InstanceDeps(ctx context.Context, id int64, dir string, depth int) ([]*scheduler.InstanceNode, error) {
	var out []*scheduler.InstanceNode
	return out, c.JSON(ctx, "GET", fmt.Sprintf("%s/%s?depth=%d", ip(id), dir, depth), nil, &out)
}

// TaskDeps lists a task's upstream or downstream tasks.
func (c *Client) TaskDeps(ctx context.Context, project, task, dir string, depth int) (*api.TaskDeps, error) {
	var out api.TaskDeps
	return &out, c.JSON(ctx, "GET", fmt.Sprintf("%s/tasks/%s/%s?depth=%d", pp(project), url.PathEscape(task), dir, depth), nil, &out)
}

// TaskAction pauses, resumes or takes a task offline (verb "pause",
// "resume", "offline"); force only matters to offline.
func (c *Client) TaskAction(ctx context.Context, project, task, verb string, force bool) (*meta.Task, error) {
	var out meta.Task
	var body any
	if verb == "offline" {
		body = &api.OfflineRequest{Force: force}
	}
	return &out, c.JSON(ctx, "POST", pp(project)+"/tasks/"+url.PathEscape(task)+"/"+verb, body, &out)
}

// Backfill creates (or with DryRun lists) a backfill.
func (c *Client) Backfill(ctx context.Context, project string, req *api.BackfillRequest) (*scheduler.BackfillResult, error) {
	var out scheduler.BackfillResult
	return &out, c.JSON(ctx, "POST", pp(project)+"/backfills", req, &out)
}

// SummaryQuery filters and groups an ops summary; empty fields take the
// server's defaults.
type SummaryQuery struct {
	From, To string // bizdates, YYYY-MM-DD
	GroupBy  string // owner, tier, project or none
	Owner    string
	Tier     string
	Top      int // keep the top N groups and merge the rest (0: all)
}

func (q *SummaryQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"from": q.From, "to": q.To, "group_by": q.GroupBy, "owner": q.Owner, "tier": q.Tier} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Top != 0 {
		v.Set("top", strconv.Itoa(q.Top))
	}
	return v
}

// OpsSummary returns the ops summary of a project, or with project "" of
// every project the caller is a member of (grouped by project unless
// q.GroupBy says otherwise).
func (c *Client) OpsSummary(ctx context.Context, project string, q *SummaryQuery) ([]*scheduler.Summary, error) {
	path := "/api/v1/ops/summary?"
	if project != "" {
		path = pp(project) + "/ops/summary?"
	}
	var out []*scheduler.Summary
	return out, c.JSON(ctx, "GET", path+q.values().Encode(), nil, &out)
}
