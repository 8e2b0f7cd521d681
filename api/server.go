// Package api is Kiln's REST API under /api/v1: routes, authentication and
// role checks, JSON errors with stable codes, streaming query results and
// logs, and the OpenAPI document generated from the same route table.
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kilnhq/kiln/auth"
	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
	"github.com/kilnhq/kiln/scheduler"
	"github.com/kilnhq/kiln/secret"
)

// Defaults of Config.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultMaxBody    = 32 << 20
	DefaultFollowPoll = 500 * time.Millisecond
)

// Config tunes the HTTP server.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// DataDir is the server's data directory (for ${data_dir} in validation).
	DataDir string
	// MaxBody caps request bodies (a project apply carries every file).
	MaxBody int64
	// FollowPoll is how often a followed log is polled for writes made by
	// other processes.
	FollowPoll time.Duration
	// Version is reported by /healthz.
	Version string
	// Folders are the project folders applied at start, by project name:
	// tasks saved through the API are written back into them (folder.go).
	Folders map[string]Folder
}

// Engines opens a project's data sources.
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Dispatcher is the worker seam: Wake says work was queued, Kill stops a
// running instance in this process. Nil when this process runs no worker.
type Dispatcher interface {
	Wake()
	Kill(id int64) bool
}

// Server serves the API.
type Server struct {
	cfg     Config
	store   meta.Store
	auth    *auth.Authenticator
	engines Engines
	logs    *logstore.Store
	box     *secret.Box
	bus     *events.Bus
	disp    Dispatcher
	replan  Replanner
	log     *slog.Logger
	// Self-service query (nil: its routes are off).
	query      *query.Service
	queryStore meta.QueryStore
	guard      QueryGuard
	dataAPI    *dataapi.Service

	mux     *http.ServeMux
	routes  []*route
	http    *http.Server
	ready   chan struct{}
	metrics *metrics
	quality meta.QualityStore
	alerts  meta.AlertStore
	lineage *lineage.Service
	catalog *catalog.Crawler
	ops     *scheduler.Ops
	cdc     *integration.CDC
	// folderLocks serialize, per project, the changes that read and write
	// its folder's files (task files, kiln.yaml): project name → *sync.Mutex.
	folderLocks sync.Map
}

// Deps are what a Server is built from.
type Deps struct {
	Store      meta.Store
	Engines    Engines
	Logs       *logstore.Store
	Box        *secret.Box
	Bus        *events.Bus
	Dispatcher Dispatcher
	Log        *slog.Logger
	Registry   prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Query      *query.Service
	QueryStore meta.QueryStore
	Guard      QueryGuard
	// DataAPI publishes and serves data APIs (nil: its routes are off).
	DataAPI *dataapi.Service
	// Quality and Alerts keep quality rules and results, alerts and silences.
	Quality meta.QualityStore
	Alerts  meta.AlertStore
	// Lineage serves lineage and the data map (nil: its routes are off).
	Lineage *lineage.Service
	// Catalog is the data map's catalog crawler (nil: its routes are off).
	Catalog *catalog.Crawler
	// Ops are the scheduler's ops actions (nil: the ops routes are off).
	Ops *scheduler.Ops
	// CDC runs CDC sync jobs (nil: the cdc routes are off).
	CDC *integration.CDC
}

// New returns a Server with every route registered.
func New(cfg Config, d Deps) *Server {
	cfg.Addr = cmp.Or(cfg.Addr, DefaultAddr)
	cfg.MaxBody = cmp.Or(cfg.MaxBody, DefaultMaxBody)
	cfg.FollowPoll = cmp.Or(cfg.FollowPoll, DefaultFollowPoll)
	s := &Server{cfg: cfg, store: d.Store, auth: &auth.Authenticator{Store: d.Store}, engines: d.Engines,
		logs: d.Logs, box: d.Box, bus: d.Bus, disp: d.Dispatcher, log: d.Log,
		query: d.Query, queryStore: d.QueryStore, guard: d.Guard, dataAPI: d.DataAPI,
		mux: http.NewServeMux(), ready: make(chan struct{})}
	s.metrics = newMetrics(d.Registry)
	s.quality, s.alerts = d.Quality, d.Alerts
	s.lineage, s.catalog = d.Lineage, d.Catalog
	s.ops = d.Ops
	s.cdc = d.CDC
	s.registerRoutes()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	gatherer := d.Gatherer
	if gatherer == nil {
		gatherer = prometheus.DefaultGatherer
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
	return s
}

// Handler is the server's root handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.mux }

// Handle adds a non-API handler (the UI) under a pattern.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Start listens and serves in the background; /healthz answers once the
// listener is up. The listen error, if any, is returned at once.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.cfg.Addr = ln.Addr().String()
	s.http = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	close(s.ready)
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server", "err", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on (after Start).
func (s *Server) Addr() string { return s.cfg.Addr }

// Stop shuts the server down gracefully, giving requests 10 s.
func (s *Server) Stop() {
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.store.InTx(r.Context(), func(meta.Store) error { return nil }); err != nil {
		writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "metadata store: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// Error is an API error: an HTTP status, a stable code and a message a
// person can act on.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error *Error `json:"error"`
}

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: sprintf(format, args...)}
}

// toAPIError maps any error to the one the client sees. It is the only
// place errors become status codes.
func toAPIError(err error) *Error {
	var ae *Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, auth.ErrUnauthenticated):
		return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "a valid API token is required (Authorization: Bearer <token>)"}
	case errors.Is(err, meta.ErrNotFound), errors.Is(err, engine.ErrTableNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, meta.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusRequestTimeout, Code: "canceled", Message: err.Error()}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	ae := toAPIError(err)
	writeJSON(w, ae.Status, errorBody{Error: ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("query parameter %s must be a whole number, got %q", name, v)
	}
	return n, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest("%s must be a positive whole number, got %q", name, v)
	}
	return n, nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return r.Header.Get("X-Kiln-Token")
}
