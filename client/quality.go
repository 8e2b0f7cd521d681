package client

import (
	"context"
	"fmt"
	"net/url"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/meta"
)

// QualityResults lists rule results filtered by q (table, task, rule, instance, limit).
func (c *Client) QualityResults(ctx context.Context, project string, q url.Values) ([]*meta.QualityResult, error) {
	var out []*meta.QualityResult
	err := c.JSON(ctx, "GET", pp(project)+"/quality/results?"+q.Encode(), nil, &out)
	return out, err
}

// QualityRules lists the rules of a project's tasks (of one task when task is set).
func (c *Client) QualityRules(ctx context.Context, project, task string) ([]*api.QualityRuleView, error) {
	var out []*api.QualityRuleView
	err := c.JSON(ctx, "GET", pp(project)+"/quality/rules?"+url.Values{"task": {task}}.Encode(), nil, &out)
	return out, err
}

// AddQualityRule adds a rule to a task through the API.
func (c *Client) AddQualityRule(ctx context.Context, project string, r *meta.QualityRule) (*meta.StoredQualityRule, error) {
	var out meta.StoredQualityRule
	err := c.JSON(ctx, "POST", pp(project)+"/quality/rules", r, &out)
	return &out, err
}

// DeleteQualityRule deletes a rule added through the API.
func (c *Client) DeleteQualityRule(ctx context.Context, project string, id int64) error {
	return c.JSON(ctx, "DELETE", fmt.Sprintf("%s/quality/rules/%d", pp(project), id), nil, nil)
}

// Alerts lists a project's alerts; state "" for all.
func (c *Client) Alerts(ctx context.Context, project string, state meta.AlertState) ([]*meta.Alert, error) {
	var out []*meta.Alert
	err := c.JSON(ctx, "GET", pp(project)+"/alerts?"+url.Values{"state": {string(state)}}.Encode(), nil, &out)
	return out, err
}

// AckAlert acknowledges an alert.
func (c *Client) AckAlert(ctx context.Context, project string, id int64) (*meta.Alert, error) {
	var out meta.Alert
	err := c.JSON(ctx, "POST", fmt.Sprintf("%s/alerts/%d/ack", pp(project), id), nil, &out)
	return &out, err
}

// Silence silences alerts for a while.
func (c *Client) Silence(ctx context.Context, project string, req *api.SilenceRequest) (*meta.Silence, error) {
	var out meta.Silence
	err := c.JSON(ctx, "POST", pp(project)+"/silences", req, &out)
	return &out, err
}

// Silences lists the silences in force.
func (c *Client) Silences(ctx context.Context, project string) ([]*meta.Silence, error) {
	var out []*meta.Silence
	err := c.JSON(ctx, "GET", pp(project)+"/silences", nil, &out)
	return out, err
}

// Unsilence ends a silence.
func (c *Client) Unsilence(ctx context.Context, project string, id int64) error {
	return c.JSON(ctx, "DELETE", fmt.Sprintf("%s/silences/%d", pp(project), id), nil, nil)
}
