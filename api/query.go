package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
)

// QueryRequest starts an asynchronous query.
type QueryRequest struct {
	SQL    string `json:"sql"`
	Engine string `json:"engine,omitempty"`
	// WaitMs waits up to this long for the query to end before answering
	// (at most 60000); 0 answers at once.
	WaitMs int `json:"wait_ms,omitempty"`
}

// DownloadRequest downloads a query's whole result.
type DownloadRequest struct {
	SQL    string `json:"sql"`
	Engine string `json:"engine,omitempty"`
	Format string `json:"format"` // csv, xlsx or parquet
}

func (s *Server) registerQueryRoutes() {
	if s.query == nil {
		return
	}
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/queries", tag: "query",
		summary: "Start a query; it runs in the background (poll its status, page its rows, cancel it)",
		scope:   scopeProject, act: meta.ActQuery, in: QueryRequest{}, out: query.Status{}, h: s.submitQuery})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/queries", tag: "query", summary: "Your query history in the project, newest first",
		scope: scopeProject, act: meta.ActQuery, out: []meta.QueryRun{}, query: []param{{"limit", "integer", "at most this many"}}, h: s.queryHistory})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/queries/{id}", tag: "query", summary: "A query's status and elapsed time",
		scope: scopeProject, act: meta.ActQuery, out: query.Status{}, h: s.queryStatus})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/queries/{id}/cancel", tag: "query", summary: "Cancel a running query on its engine",
		scope: scopeProject, act: meta.ActQuery, out: query.Status{}, h: s.cancelQuery})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/queries/{id}/rows", tag: "query", summary: "One page of a finished query's result",
		scope: scopeProject, act: meta.ActQuery, out: query.Page{},
		query: []param{{"page", "integer", "page number from 1"}, {"page_size", "integer", "rows per page (capped by the server)"}}, h: s.queryRows})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/download", tag: "query",
		summary: "Stream a query's whole result as CSV, XLSX or Parquet", produces: "application/octet-stream",
		scope: scopeProject, act: meta.ActQuery, in: DownloadRequest{}, h: s.download})
	s.registerSavedQueryRoutes()
	s.registerQueryAccessRoutes()
	s.registerDataAPIRoutes()
}

// queryError maps the query service's errors to API errors.
func queryError(err error) error {
	switch {
	case errors.Is(err, query.ErrTooMany):
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_queries", Message: err.Error()}
	case errors.Is(err, query.ErrNotFinished):
		return &Error{Status: http.StatusConflict, Code: "not_finished", Message: "the query is still running; poll its status and read rows once it succeeded"}
	case errors.Is(err, query.ErrFormat):
		return badRequest("%v", err)
	case errors.Is(err, query.ErrTableForbidden):
		return &Error{Status: http.StatusForbidden, Code: "table_forbidden", Message: err.Error()}
	case errors.Is(err, query.ErrSQL):
		return &Error{Status: http.StatusBadRequest, Code: "sql_error", Message: err.Error()}
	case errors.Is(err, query.ErrSensitive):
		return &Error{Status: http.StatusForbidden, Code: "sensitive_column", Message: err.Error()}
	}
	return err
}

// queryRequest builds the service request, with the guard (table grants,
// sensitive masking) that checks and rewrites SQL for this user.
func (s *Server) queryRequest(c *call, engineName, sql string) *query.Request {
	return &query.Request{Project: c.project, User: c.user.Name, Engine: engineName, SQL: sql,
		Prepare: func(ctx context.Context, eng engine.Engine, sql string) (*query.Prepared, error) {
			if s.guard == nil {
				return &query.Prepared{SQL: sql}, nil
			}
			return s.guard.Prepare(ctx, c.project, c.user, c.role, eng, sql)
		},
		OnFinish: func(run *meta.QueryRun, p *query.Prepared) { s.auditSensitive(c, "query", run, p) }}
}

func (s *Server) submitQuery(w http.ResponseWriter, r *http.Request, c *call) error {
	var req QueryRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.SQL == "" {
		return badRequest("sql is empty")
	}
	if req.WaitMs < 0 || req.WaitMs > 60000 {
		return badRequest("wait_ms must be between 0 and 60000, got %d", req.WaitMs)
	}
	st, err := s.query.Submit(r.Context(), s.queryRequest(c, req.Engine, req.SQL))
	if err != nil {
		return queryError(err)
	}
	s.audit(r.Context(), c.user, c.project.ID, "query.submit", st.Engine, truncate(req.SQL, 2000))
	if req.WaitMs > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(req.WaitMs)*time.Millisecond)
		defer cancel()
		if st, err = s.query.Wait(ctx, st.ID); err != nil {
			return err
		}
	}
	status := http.StatusAccepted
	if st.Status != meta.QueryRunning {
		status = http.StatusOK
	}
	writeJSON(w, status, st)
	return nil
}

// ownRun returns the run the path names if it belongs to the caller (or
// the caller is an administrator) and to the project.
func (s *Server) ownRun(r *http.Request, c *call) (*query.Status, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	st, err := s.query.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if st.ProjectID != c.project.ID || (st.UserName != c.user.Name && !c.user.Admin) {
		return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no query " + r.PathValue("id") + " of yours in this project"}
	}
	return st, nil
}

func (s *Server) queryStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.ownRun(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) cancelQuery(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.ownRun(r, c)
	if err != nil {
		return err
	}
	if st, err = s.query.Cancel(r.Context(), st.ID); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "query.cancel", r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) queryRows(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.ownRun(r, c)
	if err != nil {
		return err
	}
	page, err := queryInt(r, "page", 1)
	if err != nil {
		return err
	}
	size, err := queryInt(r, "page_size", query.DefaultPageSize)
	if err != nil {
		return err
	}
	if size > s.query.Config().MaxPageSize || size < 1 {
		return badRequest("page_size must be between 1 and %d, got %d", s.query.Config().MaxPageSize, size)
	}
	p, err := s.query.Page(r.Context(), st.ID, page, size)
	if err != nil {
		if errors.Is(err, query.ErrNotFinished) {
			return queryError(err)
		}
		return &Error{Status: http.StatusConflict, Code: "no_result", Message: err.Error()}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) queryHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	runs, err := s.query.History(r.Context(), c.project.ID, c.user.Name, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(runs))
	return nil
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, c *call) error {
	var req DownloadRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.SQL == "" {
		return badRequest("sql is empty")
	}
	if !isQuery(req.SQL) {
		return badRequest("only a query (SELECT, WITH, VALUES…) can be downloaded")
	}
	switch req.Format {
	case "csv", "xlsx", "parquet":
	default:
		return badRequest("format must be csv, xlsx or parquet, got %q", req.Format)
	}
	w.Header().Set("Content-Type", query.ContentType(req.Format))
	w.Header().Set("Content-Disposition", `attachment; filename="result.`+req.Format+`"`)
	w.Header().Set("Trailer", errorTrailer)
	sw := &startedWriter{w: w}
	qr := s.queryRequest(c, req.Engine, req.SQL)
	qr.OnFinish = func(run *meta.QueryRun, p *query.Prepared) { s.auditSensitive(c, "download", run, p) }
	n, err := s.query.Download(r.Context(), qr, req.Format, sw)
	s.audit(r.Context(), c.user, c.project.ID, "query.download", req.Format, truncate(req.SQL, 2000))
	if err != nil && !sw.started {
		w.Header().Del("Content-Disposition")
		var ae *Error
		if errors.As(err, &ae) {
			return ae
		}
		if qe := queryError(err); qe != err {
			return qe
		}
		return &Error{Status: http.StatusBadRequest, Code: "sql_error", Message: err.Error()}
	}
	if err != nil {
		w.Header().Set(errorTrailer, oneLine(err.Error()))
	}
	_ = n
	return err
}

// QueryGuard checks a user's query before it runs: a table the user may not
// read is refused (an *Error with status 403 naming it), and sensitive
// columns are masked by rewriting the SQL.
type QueryGuard interface {
	Prepare(ctx context.Context, p *meta.Project, u *meta.User, role meta.Role, eng engine.Engine, sql string) (*query.Prepared, error)
}
