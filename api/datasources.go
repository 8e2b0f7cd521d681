package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// DataSourceTestTimeout bounds a connection test: opening the data source
// and one trivial query.
const DataSourceTestTimeout = 5 * time.Second

// DataSourceTest is the outcome of a connection test. A data source that
// cannot be reached is an answer (OK false, Error the driver's message),
// not an error of the call.
type DataSourceTest struct {
	OK        bool   `json:"ok"`
	LatencyMS int64  `json:"latency_ms"`
	Version   string `json:"version,omitempty"` // what the server says it is
	Error     string `json:"error,omitempty"`
}

func (s *Server) registerDataSourceRoutes() {
	// Read, like listing data sources: the test reveals nothing a reader
	// cannot see (the secret stays on the server) and helps anyone who
	// diagnoses a failing run.
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/datasources/{name}/test", tag: "projects",
		summary: "Test a data source: open it with its stored secret and run SELECT version() (5 s timeout)",
		scope:   scopeProject, act: meta.ActRead, out: DataSourceTest{}, h: s.testDataSource})
}

func (s *Server) testDataSource(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	ds, err := s.store.GetDataSource(r.Context(), c.project.ID, name)
	if errors.Is(err, meta.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("project %s has no data source %q", c.project.Name, name)}
	}
	if err != nil {
		return err
	}
	if s.engines == nil {
		return &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "this server opens no data sources"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), DataSourceTestTimeout)
	defer cancel()
	start := time.Now()
	version, err := s.probe(ctx, c.project.ID, ds.Name)
	res := DataSourceTest{OK: err == nil, LatencyMS: time.Since(start).Milliseconds(), Version: version}
	if err != nil {
		res.Error = s.redactSecret(ds, err.Error())
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// probe opens a data source and asks its version. It gives up when ctx
// ends even if the driver does not (a connect that ignores its context
// would hold the call otherwise).
func (s *Server) probe(ctx context.Context, projectID int64, name string) (string, error) {
	type answer struct {
		version string
		err     error
	}
	done := make(chan answer, 1)
	go func() {
		eng, err := s.engines.Engine(ctx, projectID, name)
		if err != nil {
			done <- answer{err: err}
			return
		}
		v, err := serverVersion(ctx, eng)
		done <- answer{version: v, err: err}
	}()
	select {
	case a := <-done:
		if a.err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("no answer within %s: %w", DataSourceTestTimeout, a.err)
		}
		return a.version, a.err
	case <-ctx.Done():
		return "", fmt.Errorf("no answer within %s", DataSourceTestTimeout)
	}
}

// serverVersion runs SELECT version(), which DuckDB, Postgres and MySQL
// all answer.
func serverVersion(ctx context.Context, eng engine.Engine) (string, error) {
	rows, err := eng.Query(ctx, "SELECT version()")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var v string
	if rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		if len(vals) > 0 {
			switch x := vals[0].(type) {
			case []byte:
				v = string(x)
			case nil:
			default:
				v = fmt.Sprint(x)
			}
		}
	}
	return v, rows.Err()
}

// redactSecret removes the data source's password from a driver message,
// should a driver ever repeat it: secrets are write-only.
func (s *Server) redactSecret(ds *meta.DataSource, msg string) string {
	if s.box == nil || len(ds.SecretEnc) == 0 {
		return msg
	}
	pw, err := s.box.Open(ds.SecretEnc)
	if err != nil || pw == "" {
		return msg
	}
	return strings.ReplaceAll(msg, pw, "***")
}
