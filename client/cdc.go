package client

import (
	"context"
	"net/url"

	"github.com/kilnhq/kiln/integration"
)

// CDCJobs lists the CDC jobs a server runs for a project.
func (c *Client) CDCJobs(ctx context.Context, project string) ([]*integration.CDCStatus, error) {
	var out []*integration.CDCStatus
	err := c.JSON(ctx, "GET", pp(project)+"/cdc", nil, &out)
	return out, err
}

// CDC runs a CDC action on a task: status, start, stop or restart.
func (c *Client) CDC(ctx context.Context, project, task, action string) (*integration.CDCStatus, error) {
	var out integration.CDCStatus
	path := pp(project) + "/cdc/" + url.PathEscape(task)
	method := "GET"
	if action != "status" {
		method, path = "POST", path+"/"+action
	}
	err := c.JSON(ctx, method, path, nil, &out)
	return &out, err
}
