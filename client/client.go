// Package client is a Go client of Kiln's REST API; the CLI uses it for
// everything it does against a server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/apply"
	"github.com/kilnhq/kiln/meta"
)

// Client talks to one server with one token.
type Client struct {
	Base  string // http://127.0.0.1:8080
	Token string
	HTTP  *http.Client
}

// New returns a Client for a server address ("host:port" or a URL).
func New(server, token string) *Client {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	return &Client{Base: strings.TrimRight(server, "/"), Token: token, HTTP: &http.Client{}}
}

// Error is an error answer from the server.
type Error struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
}

func (e *Error) Error() string { return e.Message }

// ErrUnreachable wraps failures to reach the server at all.
var ErrUnreachable = errors.New("cannot reach the Kiln server")

// Do sends a request with a JSON body (nil for none) and returns the raw
// response, which the caller closes. Non-2xx answers become *Error.
func (c *Client) Do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Base, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body struct {
		Error *struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != nil {
		return &Error{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message, Details: body.Error.Details}
	}
	return &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(b))}
}

// JSON sends a request and decodes a JSON answer into out (nil to discard).
func (c *Client) JSON(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

func pp(project string) string { return "/api/v1/projects/" + url.PathEscape(project) }

// Login signs in with a password and returns a new token.
func (c *Client) Login(ctx context.Context, user, password string) (*api.TokenResponse, error) {
	var out api.TokenResponse
	err := c.JSON(ctx, "POST", "/api/v1/login", api.LoginRequest{User: user, Password: password, TokenName: "cli"}, &out)
	return &out, err
}

// Me returns the signed-in user and their projects.
func (c *Client) Me(ctx context.Context) (*api.Me, error) {
	var out api.Me
	return &out, c.JSON(ctx, "GET", "/api/v1/me", nil, &out)
}

// Validate checks project files on the server.
func (c *Client) Validate(ctx context.Context, files map[string]string) (*api.ValidateResponse, error) {
	var out api.ValidateResponse
	return &out, c.JSON(ctx, "POST", "/api/v1/validate", api.ValidateRequest{Files: files}, &out)
}

// Apply saves project files.
func (c *Client) Apply(ctx context.Context, project string, req *api.ApplyRequest) (*apply.Result, error) {
	var out apply.Result
	return &out, c.JSON(ctx, "POST", pp(project)+"/apply", req, &out)
}

// Tasks lists a project's tasks.
func (c *Client) Tasks(ctx context.Context, project string) ([]*meta.Task, error) {
	var out []*meta.Task
	return out, c.JSON(ctx, "GET", pp(project)+"/tasks", nil, &out)
}

// Task returns a task and its current version.
func (c *Client) Task(ctx context.Context, project, name string) (*api.TaskDetail, error) {
	var out api.TaskDetail
	return &out, c.JSON(ctx, "GET", pp(project)+"/tasks/"+url.PathEscape(name), nil, &out)
}

// Versions lists a task's versions, newest first.
func (c *Client) Versions(ctx context.Context, project, name string) ([]*meta.Version, error) {
	var out []*meta.Version
	return out, c.JSON(ctx, "GET", pp(project)+"/tasks/"+url.PathEscape(name)+"/versions", nil, &out)
}

// Diff returns the diff between two versions (0 for the defaults).
func (c *Client) Diff(ctx context.Context, project, name string, from, to int) (*api.DiffResponse, error) {
	q := url.Values{}
	if from > 0 {
		q.Set("from", strconv.Itoa(from))
	}
	if to > 0 {
		q.Set("to", strconv.Itoa(to))
	}
	var out api.DiffResponse
	return &out, c.JSON(ctx, "GET", pp(project)+"/tasks/"+url.PathEscape(name)+"/diff?"+q.Encode(), nil, &out)
}

// Run queues a run of a task.
func (c *Client) Run(ctx context.Context, project, name string, req *api.RunRequest) (*meta.Instance, error) {
	var out meta.Instance
	return &out, c.JSON(ctx, "POST", pp(project)+"/tasks/"+url.PathEscape(name)+"/runs", req, &out)
}

// Instances lists instances; q holds the query parameters.
func (c *Client) Instances(ctx context.Context, project string, q url.Values) ([]*meta.Instance, error) {
	var out []*meta.Instance
	return out, c.JSON(ctx, "GET", pp(project)+"/instances?"+q.Encode(), nil, &out)
}

// Instance returns an instance with its attempts.
func (c *Client) Instance(ctx context.Context, id int64) (*api.InstanceDetail, error) {
	var out api.InstanceDetail
	return &out, c.JSON(ctx, "GET", "/api/v1/instances/"+strconv.FormatInt(id, 10), nil, &out)
}

// Kill kills an instance.
func (c *Client) Kill(ctx context.Context, id int64) (*meta.Instance, error) {
	return c.Mark(ctx, id, "kill")
}

// Log copies an instance's log to w from offset; with follow it returns
// when the instance has ended and its log is fully copied.
func (c *Client) Log(ctx context.Context, id int64, follow bool, w io.Writer) error {
	path := fmt.Sprintf("/api/v1/instances/%d/log?follow=%t", id, follow)
	resp, err := c.Do(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// Wait polls an instance until it reaches a final state.
func (c *Client) Wait(ctx context.Context, id int64) (*meta.Instance, error) {
	delay := 50 * time.Millisecond
	for {
		d, err := c.Instance(ctx, id)
		if err != nil {
			return nil, err
		}
		if d.Instance.State.Final() {
			return d.Instance, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// SQL runs a statement and returns the raw streaming answer; the caller
// closes it.
func (c *Client) SQL(ctx context.Context, project string, req *api.SQLRequest) (*http.Response, error) {
	return c.Do(ctx, "POST", pp(project)+"/sql", req)
}
