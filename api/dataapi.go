package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/meta"
)

// DataAPIDetail is an API with its spec decoded and its versions.
type DataAPIDetail struct {
	*meta.DataAPI
	Definition *dataapi.Spec          `json:"definition"`
	Versions   []*meta.DataAPIVersion `json:"versions"`
}

// DataAPIStateRequest rolls an API back to a version.
type DataAPIStateRequest struct {
	Version int `json:"version"`
}

// CreateAppRequest creates an app that calls data APIs.
type CreateAppRequest struct {
	Name string   `json:"name"`
	APIs []string `json:"apis,omitempty"` // paths of the APIs it may call
	// Sign requires HMAC-signed requests; the secret is shown once.
	Sign      bool       `json:"sign,omitempty"`
	RateLimit float64    `json:"rate_limit,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AppGrantRequest grants an app an API by path.
type AppGrantRequest struct {
	API string `json:"api"`
}

// RotateAppRequest issues an app a new token.
type RotateAppRequest struct {
	Sign      bool       `json:"sign,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Server) registerDataAPIRoutes() {
	if s.dataAPI == nil {
		return
	}
	const base = "/api/v1/projects/{project}/data-apis"
	s.add(&route{method: "POST", path: base, tag: "data-api", summary: "Publish a parameterised SELECT as GET /data/v1/<project>/<path> (a new version)",
		scope: scopeProject, act: meta.ActWrite, in: dataapi.Spec{}, out: meta.DataAPI{}, h: s.publishDataAPI})
	s.add(&route{method: "GET", path: base, tag: "data-api", summary: "The project's data APIs",
		scope: scopeProject, act: meta.ActRead, out: []meta.DataAPI{}, h: s.listDataAPIs})
	s.add(&route{method: "GET", path: base + "/{id}", tag: "data-api", summary: "A data API with its definition and versions",
		scope: scopeProject, act: meta.ActRead, out: DataAPIDetail{}, h: s.showDataAPI})
	s.add(&route{method: "POST", path: base + "/{id}/rollback", tag: "data-api", summary: "Make an earlier version current",
		scope: scopeProject, act: meta.ActWrite, in: DataAPIStateRequest{}, out: meta.DataAPI{}, h: s.rollbackDataAPI})
	s.add(&route{method: "POST", path: base + "/{id}/offline", tag: "data-api", summary: "Take a data API offline (it answers 503)",
		scope: scopeProject, act: meta.ActWrite, out: meta.DataAPI{}, h: s.setDataAPIOnline(false)})
	s.add(&route{method: "POST", path: base + "/{id}/online", tag: "data-api", summary: "Bring a data API back online",
		scope: scopeProject, act: meta.ActWrite, out: meta.DataAPI{}, h: s.setDataAPIOnline(true)})
	s.add(&route{method: "GET", path: base + "/{id}/metrics", tag: "data-api", summary: "Calls, QPS, error rate, p50/p95 latency, rows and cache hits over a window",
		scope: scopeProject, act: meta.ActRead, out: dataapi.Metrics{},
		query: []param{{"window", "string", "a Go duration, default 1h"}, {"app", "string", "only this app's calls"}}, h: s.dataAPIMetrics})
	s.add(&route{method: "GET", path: base + "/{id}/calls", tag: "data-api", summary: "The call log, oldest first",
		scope: scopeProject, act: meta.ActRead, out: []meta.DataAPICall{},
		query: []param{{"window", "string", "a Go duration, default 1h"}, {"limit", "integer", "at most this many"}}, h: s.dataAPICalls})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/apps", tag: "data-api", summary: "Create an app; its token (and signing secret) is shown once",
		scope: scopeProject, act: meta.ActWrite, in: CreateAppRequest{}, out: dataapi.NewApp{}, h: s.createApp})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/apps", tag: "data-api", summary: "The project's apps with their grants",
		scope: scopeProject, act: meta.ActRead, out: []meta.DataApp{}, h: s.listApps})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/apps/{name}/grants", tag: "data-api", summary: "Let an app call a data API",
		scope: scopeProject, act: meta.ActWrite, in: AppGrantRequest{}, out: meta.DataApp{}, h: s.grantApp})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/apps/{name}/token", tag: "data-api", summary: "Issue an app a new token (the old one stops working)",
		scope: scopeProject, act: meta.ActWrite, in: RotateAppRequest{}, out: dataapi.NewApp{}, h: s.rotateApp})
}

// dataAPIError maps the data API service's errors.
func dataAPIError(err error) error {
	if errors.Is(err, dataapi.ErrInvalid) {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_api", Message: err.Error()}
	}
	return err
}

func (s *Server) publishDataAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	var spec dataapi.Spec
	if err := s.decode(r, &spec); err != nil {
		return err
	}
	row, err := s.dataAPI.Publish(r.Context(), c.project, &spec, c.user.Name)
	if err != nil {
		return dataAPIError(err)
	}
	s.audit(r.Context(), c.user, c.project.ID, "data_api.publish", row.Path, "")
	writeJSON(w, http.StatusOK, row)
	return nil
}

func (s *Server) listDataAPIs(w http.ResponseWriter, r *http.Request, c *call) error {
	rows, err := s.dataAPI.APIs(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(rows))
	return nil
}

// projectAPI finds the API the path's {id} names in the project.
func (s *Server) projectAPI(r *http.Request, c *call) (*meta.DataAPI, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	rows, err := s.dataAPI.APIs(r.Context(), c.project.ID)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if row.ID == id {
			return row, nil
		}
	}
	return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no data API " + r.PathValue("id") + " in project " + c.project.Name}
}

func (s *Server) showDataAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	row, err := s.projectAPI(r, c)
	if err != nil {
		return err
	}
	vs, err := s.dataAPI.Versions(r.Context(), row.ID)
	if err != nil {
		return err
	}
	d := &DataAPIDetail{DataAPI: row, Versions: vs, Definition: &dataapi.Spec{}}
	_ = json.Unmarshal([]byte(row.Spec), d.Definition)
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) rollbackDataAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	row, err := s.projectAPI(r, c)
	if err != nil {
		return err
	}
	var req DataAPIStateRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if !s.hasVersion(r, row.ID, req.Version) {
		return badRequest("version %d of %s does not exist", req.Version, row.Path)
	}
	out, err := s.dataAPI.SetState(r.Context(), &meta.SetDataAPIStateParams{ID: row.ID, Version: &req.Version})
	if err != nil {
		return dataAPIError(err)
	}
	s.audit(r.Context(), c.user, c.project.ID, "data_api.rollback", row.Path, strconv.Itoa(req.Version))
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) hasVersion(r *http.Request, apiID int64, v int) bool {
	vs, err := s.dataAPI.Versions(r.Context(), apiID)
	if err != nil {
		return false
	}
	for _, x := range vs {
		if x.Version == v {
			return true
		}
	}
	return false
}

func (s *Server) setDataAPIOnline(online bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		row, err := s.projectAPI(r, c)
		if err != nil {
			return err
		}
		out, err := s.dataAPI.SetState(r.Context(), &meta.SetDataAPIStateParams{ID: row.ID, Online: &online})
		if err != nil {
			return err
		}
		action := "data_api.offline"
		if online {
			action = "data_api.online"
		}
		s.audit(r.Context(), c.user, c.project.ID, action, row.Path, "")
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func queryWindow(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("window")
	if v == "" {
		return time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 31*24*time.Hour {
		return 0, badRequest("window must be a duration such as 15m or 24h (at most 744h), got %q", v)
	}
	return d, nil
}

func (s *Server) dataAPIMetrics(w http.ResponseWriter, r *http.Request, c *call) error {
	row, err := s.projectAPI(r, c)
	if err != nil {
		return err
	}
	window, err := queryWindow(r)
	if err != nil {
		return err
	}
	var appID int64
	if name := r.URL.Query().Get("app"); name != "" {
		app, err := s.projectApp(r, c, name)
		if err != nil {
			return err
		}
		appID = app.ID
	}
	m, err := s.dataAPI.Metrics(r.Context(), row.ID, appID, window)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) dataAPICalls(w http.ResponseWriter, r *http.Request, c *call) error {
	row, err := s.projectAPI(r, c)
	if err != nil {
		return err
	}
	window, err := queryWindow(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1000)
	if err != nil {
		return err
	}
	calls, err := s.dataAPI.Calls(r.Context(), &meta.ListDataAPICallsParams{APIID: row.ID, Since: time.Now().Add(-window), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(calls))
	return nil
}

func (s *Server) apiByPath(r *http.Request, c *call, path string) (*meta.DataAPI, error) {
	rows, err := s.dataAPI.APIs(r.Context(), c.project.ID)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if row.Path == strings.Trim(path, "/") {
			return row, nil
		}
	}
	return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no data API at path " + path + " in project " + c.project.Name}
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request, c *call) error {
	var req CreateAppRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if !validName(req.Name) {
		return badRequest("app name %q: use letters, digits, _, - and . (at most 64)", req.Name)
	}
	if req.RateLimit < 0 {
		return badRequest("rate_limit must not be negative")
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(time.Now()) {
		return badRequest("expires_at %s is in the past", req.ExpiresAt.Format(time.RFC3339))
	}
	var ids []int64
	for _, p := range req.APIs {
		row, err := s.apiByPath(r, c, p)
		if err != nil {
			return err
		}
		ids = append(ids, row.ID)
	}
	out, err := s.dataAPI.CreateApp(r.Context(), &dataapi.CreateAppParams{ProjectID: c.project.ID, Name: req.Name, APIs: ids,
		Sign: req.Sign, RateLimit: req.RateLimit, ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "app.create", req.Name, strings.Join(req.APIs, ","))
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request, c *call) error {
	apps, err := s.dataAPI.Apps(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(apps))
	return nil
}

func (s *Server) projectApp(r *http.Request, c *call, name string) (*meta.DataApp, error) {
	apps, err := s.dataAPI.Apps(r.Context(), c.project.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no app " + name + " in project " + c.project.Name}
}

func (s *Server) grantApp(w http.ResponseWriter, r *http.Request, c *call) error {
	app, err := s.projectApp(r, c, r.PathValue("name"))
	if err != nil {
		return err
	}
	var req AppGrantRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	row, err := s.apiByPath(r, c, req.API)
	if err != nil {
		return err
	}
	if err := s.dataAPI.GrantApp(r.Context(), app.ID, row.ID); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "app.grant", app.Name, row.Path)
	if app, err = s.projectApp(r, c, app.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, app)
	return nil
}

func (s *Server) rotateApp(w http.ResponseWriter, r *http.Request, c *call) error {
	app, err := s.projectApp(r, c, r.PathValue("name"))
	if err != nil {
		return err
	}
	var req RotateAppRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(time.Now()) {
		return badRequest("expires_at %s is in the past", req.ExpiresAt.Format(time.RFC3339))
	}
	out, err := s.dataAPI.RotateApp(r.Context(), app, req.Sign, req.ExpiresAt)
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "app.token", app.Name, "")
	writeJSON(w, http.StatusOK, out)
	return nil
}
