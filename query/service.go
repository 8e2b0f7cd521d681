// Package query is Kiln's self-service query service: ad-hoc SQL run
// asynchronously with status, elapsed time and a cancel that reaches the
// engine; results spooled to files under the data directory and read back
// in pages; per-user concurrency and per-query row and time limits; the
// history of every run; and streamed downloads as CSV, XLSX and Parquet.
package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// Defaults of Config.
const (
	DefaultMaxConcurrent = 3
	DefaultMaxRows       = 100_000
	DefaultTimeout       = 10 * time.Minute
	DefaultMaxPageSize   = 1000
	DefaultPageSize      = 100
)

// Errors callers branch on.
var (
	// ErrTooMany is returned when a user already runs as many queries as the
	// concurrency limit allows.
	ErrTooMany = errors.New("too many queries running")
	// ErrNotFinished is returned for the rows of a query still running.
	ErrNotFinished = errors.New("the query has not finished")
)

// Config holds the limits an administrator sets.
type Config struct {
	// SpoolDir is where results are kept (DATA/query).
	SpoolDir string
	// MaxConcurrent is how many queries one user may run at once.
	MaxConcurrent int
	// MaxRows is how many rows a query's result keeps; beyond it the result
	// is truncated (downloads are not limited).
	MaxRows int64
	// Timeout cancels a query (and a download) that runs longer.
	Timeout time.Duration
	// MaxPageSize caps the page size of a result.
	MaxPageSize int
	// Retention is how long finished results stay in SpoolDir (Prune).
	Retention time.Duration
}

// Engines opens a project's data sources.
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Service runs queries.
type Service struct {
	cfg     Config
	store   meta.QueryStore
	engines Engines
	log     *slog.Logger

	mu      sync.Mutex
	jobs    map[int64]*job
	perUser map[string]int
}

type job struct {
	run    meta.QueryRun // guarded by Service.mu once started
	req    *Request
	prep   *Prepared
	cancel context.CancelFunc
	done   chan struct{}
	index  []int64
	userCx bool // canceled by a user (not the time limit)
}

// New returns a Service.
func New(cfg Config, store meta.QueryStore, engines Engines, log *slog.Logger) (*Service, error) {
	cfg.MaxConcurrent = cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	cfg.MaxRows = cmp.Or(cfg.MaxRows, DefaultMaxRows)
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.MaxPageSize = cmp.Or(cfg.MaxPageSize, DefaultMaxPageSize)
	cfg.Retention = cmp.Or(cfg.Retention, DefaultRetention)
	if cfg.SpoolDir == "" {
		return nil, errors.New("query service: a spool directory is required")
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("query service: %w", err)
	}
	return &Service{cfg: cfg, store: store, engines: engines, log: log, jobs: map[int64]*job{}, perUser: map[string]int{}}, nil
}

// Config returns the limits in force.
func (s *Service) Config() Config { return s.cfg }

// Request is one query to run.
type Request struct {
	Project *meta.Project
	User    string
	Engine  string // "" for the project's default
	SQL     string
	// Prepare, when set, may rewrite the SQL for the engine (masking) and
	// refuse it (table grants) before it runs.
	Prepare func(ctx context.Context, eng engine.Engine, sql string) (*Prepared, error)
	// OnFinish, when set, is called once the run (or download) has ended,
	// with what Prepare returned (the sensitive-access audit).
	OnFinish func(run *meta.QueryRun, p *Prepared)
}

// Status is a run as a client sees it.
type Status struct {
	meta.QueryRun
	ElapsedMs int64 `json:"elapsed_ms"`
}

// Submit starts a query in the background and returns its run at once.
func (s *Service) Submit(ctx context.Context, req *Request) (*Status, error) {
	eng, prep, err := s.prepare(ctx, req)
	if err != nil {
		s.recordRefused(ctx, req, err)
		return nil, err
	}
	s.mu.Lock()
	if s.perUser[req.User] >= s.cfg.MaxConcurrent {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %s already runs %d (the limit); wait for one to finish or cancel one", ErrTooMany, req.User, s.cfg.MaxConcurrent)
	}
	s.perUser[req.User]++
	s.mu.Unlock()
	j := &job{done: make(chan struct{}), req: req, prep: prep}
	j.run = meta.QueryRun{ProjectID: req.Project.ID, UserName: req.User, Engine: eng.Name(), SQL: req.SQL}
	if err := s.store.CreateQueryRun(ctx, &j.run); err != nil {
		s.release(req.User)
		return nil, err
	}
	runCtx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	j.cancel = cancel
	s.mu.Lock()
	s.jobs[j.run.ID] = j
	st := s.statusLocked(j)
	s.mu.Unlock()
	go s.execute(runCtx, j, eng, prep.SQL)
	return st, nil
}

// recordRefused keeps a query that never ran (it did not parse, or it
// reads a table the user may not) in the user's history as failed, so the
// history shows every attempt.
func (s *Service) recordRefused(ctx context.Context, req *Request, cause error) {
	if !errors.Is(cause, ErrSQL) && !errors.Is(cause, ErrTableForbidden) && !errors.Is(cause, ErrSensitive) {
		return
	}
	run := meta.QueryRun{ProjectID: req.Project.ID, UserName: req.User, Engine: cmp.Or(req.Engine, req.Project.DefaultEngine), SQL: req.SQL}
	if err := s.store.CreateQueryRun(ctx, &run); err != nil {
		return
	}
	_ = s.store.FinishQueryRun(ctx, &meta.FinishQueryRunParams{ID: run.ID, Status: meta.QueryFailed, EndedAt: time.Now(), Error: cause.Error()})
}

func (s *Service) prepare(ctx context.Context, req *Request) (engine.Engine, *Prepared, error) {
	name := cmp.Or(req.Engine, req.Project.DefaultEngine)
	if name == "" {
		return nil, nil, fmt.Errorf("name an engine: project %s has no default engine", req.Project.Name)
	}
	eng, err := s.engines.Engine(ctx, req.Project.ID, name)
	if err != nil {
		return nil, nil, err
	}
	prep := &Prepared{SQL: req.SQL}
	if req.Prepare != nil {
		if prep, err = req.Prepare(ctx, eng, req.SQL); err != nil {
			return nil, nil, err
		}
	}
	return eng, prep, nil
}

func (s *Service) release(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser[user]--; s.perUser[user] <= 0 {
		delete(s.perUser, user)
	}
}

func (s *Service) spoolPath(id int64) string {
	return filepath.Join(s.cfg.SpoolDir, strconv.FormatInt(id, 10)+".ndjson")
}

func (s *Service) execute(ctx context.Context, j *job, eng engine.Engine, sql string) {
	defer close(j.done)
	defer s.release(j.run.UserName)
	defer j.cancel()
	n, truncated, index, err := s.spool(ctx, eng, sql, s.spoolPath(j.run.ID))
	fin := &meta.FinishQueryRunParams{ID: j.run.ID, Status: meta.QuerySucceeded, EndedAt: time.Now(), Rows: n, Truncated: truncated}
	s.mu.Lock()
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		fin.Status, fin.Error = meta.QueryTimedOut, fmt.Sprintf("the query ran longer than the limit of %s and was cancelled", s.cfg.Timeout)
	case j.userCx:
		fin.Status, fin.Error = meta.QueryCanceled, "cancelled"
	default:
		fin.Status, fin.Error = meta.QueryFailed, err.Error()
	}
	s.mu.Unlock()
	end := fin.EndedAt.UTC()
	run := j.run
	run.Status, run.Rows, run.Truncated, run.Error, run.EndedAt = fin.Status, fin.Rows, fin.Truncated, fin.Error, &end
	// The store and the audit hear of the end before a client can see it.
	if err := s.store.FinishQueryRun(context.Background(), fin); err != nil {
		s.log.Error("record query run", "query", run.ID, "err", err)
	}
	if j.req.OnFinish != nil {
		j.req.OnFinish(&run, j.prep)
	}
	s.mu.Lock()
	j.index = index
	j.run = run
	s.mu.Unlock()
}

// spool runs the query and writes at most MaxRows rows to path.
func (s *Service) spool(ctx context.Context, eng engine.Engine, sql, path string) (n int64, truncated bool, index []int64, err error) {
	src, err := open(ctx, eng, fmt.Sprintf("SELECT * FROM (%s) AS kiln_q LIMIT %d", trim(sql), s.cfg.MaxRows+1))
	if err != nil {
		return 0, false, nil, err
	}
	defer func() { err = errors.Join(err, src.close()) }()
	w, err := createSpool(path, src.cols)
	if err != nil {
		return 0, false, nil, err
	}
	defer func() { err = errors.Join(err, w.close()) }()
	for {
		vals, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return w.rows, false, nil, err
		}
		if w.rows == s.cfg.MaxRows {
			truncated = true
			break
		}
		if err := w.add(vals); err != nil {
			return w.rows, false, nil, err
		}
	}
	return w.rows, truncated, w.index, nil
}

func (s *Service) statusLocked(j *job) *Status {
	st := &Status{QueryRun: j.run}
	end := time.Now()
	if j.run.EndedAt != nil {
		end = *j.run.EndedAt
	}
	st.ElapsedMs = end.Sub(j.run.StartedAt).Milliseconds()
	return st
}

// Get returns a run's status; user is checked by the caller.
func (s *Service) Get(ctx context.Context, id int64) (*Status, error) {
	s.mu.Lock()
	if j, ok := s.jobs[id]; ok {
		st := s.statusLocked(j)
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	r, err := s.store.GetQueryRun(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &Status{QueryRun: *r}
	if r.EndedAt != nil {
		st.ElapsedMs = r.EndedAt.Sub(r.StartedAt).Milliseconds()
	}
	return st, nil
}

// Wait waits until a run ends or ctx ends, and returns its status.
func (s *Service) Wait(ctx context.Context, id int64) (*Status, error) {
	s.mu.Lock()
	j, ok := s.jobs[id]
	s.mu.Unlock()
	if ok {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
	}
	return s.Get(context.WithoutCancel(ctx), id)
}

// Cancel stops a running query; the engine's statement is cancelled (DuckDB
// interrupt, Postgres cancel request, MySQL KILL QUERY). It returns the
// status once the run has ended.
func (s *Service) Cancel(ctx context.Context, id int64) (*Status, error) {
	s.mu.Lock()
	j, ok := s.jobs[id]
	if ok && j.run.Status == meta.QueryRunning {
		j.userCx = true
		j.cancel()
	}
	s.mu.Unlock()
	return s.Wait(ctx, id)
}

// Page reads one page (from 1) of a finished run's result.
func (s *Service) Page(ctx context.Context, id int64, page, size int) (*Page, error) {
	st, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Status == meta.QueryRunning {
		return nil, ErrNotFinished
	}
	if st.Status != meta.QuerySucceeded {
		return nil, fmt.Errorf("query %d %s: %s", id, st.Status, st.Error)
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	if size > s.cfg.MaxPageSize {
		return nil, fmt.Errorf("page_size %d is over the limit of %d", size, s.cfg.MaxPageSize)
	}
	page = max(page, 1)
	s.mu.Lock()
	var index []int64
	if j, ok := s.jobs[id]; ok {
		index = j.index
	}
	s.mu.Unlock()
	cols, rows, err := readPage(s.spoolPath(id), index, int64(page-1)*int64(size), int64(size))
	if err != nil {
		return nil, err
	}
	return &Page{Columns: cols, Rows: rows, Page: page, PageSize: size, Total: st.Rows}, nil
}

// History lists a user's runs in a project, newest first.
func (s *Service) History(ctx context.Context, projectID int64, user string, limit int) ([]*meta.QueryRun, error) {
	return s.store.ListQueryRuns(ctx, &meta.ListQueryRunsParams{ProjectID: projectID, UserName: user, Limit: limit})
}
