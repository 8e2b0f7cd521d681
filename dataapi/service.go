package dataapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/secret"
)

// Engines opens a project's data sources.
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Config tunes the service.
type Config struct {
	// Refresh is how often the in-memory copy of APIs and apps is reloaded
	// from the metadata store, for changes made by other server replicas
	// (changes through this server apply at once).
	Refresh time.Duration
	// SignatureWindow is how far a signed request's timestamp may be from now.
	SignatureWindow time.Duration
}

// Defaults of Config.
const (
	DefaultRefresh         = 30 * time.Second
	DefaultSignatureWindow = 5 * time.Minute
)

// Service publishes and serves data APIs.
type Service struct {
	cfg      Config
	store    meta.DataAPIStore
	projects meta.Store
	engines  Engines
	box      *secret.Box
	log      *slog.Logger

	mu     sync.RWMutex
	byPath map[string]*liveAPI // "project/path"
	byID   map[int64]*liveAPI
	apps   map[string]*liveApp // by token hash

	cache  *cache
	nonces *nonceSet
	calls  chan *meta.DataAPICall
}

// liveAPI is a published API ready to serve: its spec parsed once.
type liveAPI struct {
	row     *meta.DataAPI
	project string
	spec    *Spec
	tmpl    *template
	ttl     time.Duration
	limiter *rate.Limiter
}

type liveApp struct {
	app     *meta.DataApp
	secret  string
	apis    map[int64]bool
	limiter *rate.Limiter
}

// New returns a Service; Start loads and serves.
func New(cfg Config, projects meta.Store, store meta.DataAPIStore, engines Engines, box *secret.Box, log *slog.Logger) *Service {
	cfg.Refresh = cmp.Or(cfg.Refresh, DefaultRefresh)
	cfg.SignatureWindow = cmp.Or(cfg.SignatureWindow, DefaultSignatureWindow)
	return &Service{cfg: cfg, store: store, projects: projects, engines: engines, box: box, log: log,
		byPath: map[string]*liveAPI{}, byID: map[int64]*liveAPI{}, apps: map[string]*liveApp{},
		cache: newCache(), nonces: newNonceSet(), calls: make(chan *meta.DataAPICall, 65536)}
}

// Start loads APIs and apps, then refreshes them and flushes the call log
// in the background until ctx ends.
func (s *Service) Start(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	go s.loop(ctx)
	return nil
}

func (s *Service) loop(ctx context.Context) {
	refresh := time.NewTicker(s.cfg.Refresh)
	flush := time.NewTicker(time.Second)
	defer refresh.Stop()
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushCalls(context.WithoutCancel(ctx))
			return
		case <-refresh.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reload data apis", "err", err)
			}
		case <-flush.C:
			s.flushCalls(ctx)
		}
	}
}

// FlushCalls writes the buffered call log now (tests, shutdown).
func (s *Service) FlushCalls(ctx context.Context) { s.flushCalls(ctx) }

func (s *Service) flushCalls(ctx context.Context) {
	var batch []*meta.DataAPICall
	for len(batch) < 5000 {
		select {
		case c := <-s.calls:
			batch = append(batch, c)
			continue
		default:
		}
		break
	}
	if err := s.store.AddDataAPICalls(ctx, batch); err != nil {
		s.log.Warn("write data api call log", "err", err, "calls", len(batch))
	}
}

// Reload rebuilds the in-memory copy of every API and app. Limiters of
// unchanged APIs and apps carry over so a reload does not reset them.
func (s *Service) Reload(ctx context.Context) error {
	rows, err := s.store.ListDataAPIs(ctx, 0)
	if err != nil {
		return err
	}
	projects, err := s.projects.ListProjects(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	byPath, byID := map[string]*liveAPI{}, map[int64]*liveAPI{}
	for _, row := range rows {
		api, err := s.compile(row, names[row.ProjectID])
		if err != nil {
			s.log.Warn("data api does not load", "path", row.Path, "err", err)
			continue
		}
		s.mu.RLock()
		if old := s.byID[row.ID]; old != nil && old.spec.RateLimit == api.spec.RateLimit {
			api.limiter = old.limiter
		}
		s.mu.RUnlock()
		byPath[api.project+"/"+row.Path], byID[row.ID] = api, api
	}
	appRows, err := s.store.ListDataApps(ctx, 0)
	if err != nil {
		return err
	}
	apps := map[string]*liveApp{}
	for _, a := range appRows {
		la := &liveApp{app: a, apis: map[int64]bool{}}
		for _, id := range a.APIs {
			la.apis[id] = true
		}
		if len(a.SecretEnc) > 0 {
			if la.secret, err = s.box.Open(a.SecretEnc); err != nil {
				s.log.Warn("data app secret does not open", "app", a.Name, "err", err)
				continue
			}
		}
		s.mu.RLock()
		old := s.apps[a.TokenHash]
		s.mu.RUnlock()
		if old != nil && old.app.RateLimit == a.RateLimit {
			la.limiter = old.limiter
		} else if a.RateLimit > 0 {
			la.limiter = rate.NewLimiter(rate.Limit(a.RateLimit), max(1, int(a.RateLimit)))
		}
		apps[a.TokenHash] = la
	}
	s.mu.Lock()
	s.byPath, s.byID, s.apps = byPath, byID, apps
	s.mu.Unlock()
	return nil
}

func (s *Service) compile(row *meta.DataAPI, project string) (*liveAPI, error) {
	spec := &Spec{}
	if err := json.Unmarshal([]byte(row.Spec), spec); err != nil {
		return nil, err
	}
	ttl, err := spec.Validate()
	if err != nil {
		return nil, err
	}
	tmpl, err := parseTemplate(spec.SQL)
	if err != nil {
		return nil, err
	}
	api := &liveAPI{row: row, project: project, spec: spec, tmpl: tmpl, ttl: ttl}
	if spec.RateLimit > 0 {
		api.limiter = rate.NewLimiter(rate.Limit(spec.RateLimit), max(1, int(spec.RateLimit)))
	}
	return api, nil
}

// Publish checks a spec (types, parameters, a single read-only SELECT by
// parsing, the order columns against the result) and saves it as the API's
// next version. Nothing is saved when a check fails.
func (s *Service) Publish(ctx context.Context, p *meta.Project, spec *Spec, author string) (*meta.DataAPI, error) {
	if _, err := spec.Validate(); err != nil {
		return nil, err
	}
	tmpl, err := parseTemplate(spec.SQL)
	if err != nil {
		return nil, err
	}
	declared := map[string]*Param{}
	for i := range spec.Params {
		declared[spec.Params[i].Name] = &spec.Params[i]
	}
	used := tmpl.params()
	for name := range used {
		if declared[name] == nil {
			return nil, fmt.Errorf("%w sql: :%s is not a declared parameter", ErrInvalid, name)
		}
	}
	for name := range declared {
		if !used[name] {
			return nil, fmt.Errorf("%w: parameter %s is declared but the sql does not use it", ErrInvalid, name)
		}
	}
	spec.Engine = cmp.Or(spec.Engine, p.DefaultEngine)
	eng, err := s.engines.Engine(ctx, p.ID, spec.Engine)
	if err != nil {
		return nil, err
	}
	vals := map[string]any{}
	for _, prm := range spec.Params {
		vals[prm.Name] = sampleValue(&prm)
	}
	full, args := tmpl.render(vals, eng.Dialect(), true)
	if err := CheckSelect(ctx, eng, full); err != nil {
		return nil, err
	}
	if err := checkColumns(ctx, eng, full, args, spec); err != nil {
		return nil, err
	}
	doc, _ := json.Marshal(spec)
	row, err := s.store.PublishDataAPI(ctx, &meta.PublishDataAPIParams{ProjectID: p.ID, Path: spec.Path, Spec: string(doc), Author: author})
	if err != nil {
		return nil, err
	}
	return row, s.Reload(ctx)
}

// sampleValue is a value of a parameter's type, for planning the query.
func sampleValue(p *Param) any {
	v, err := p.Convert([]string{p.Default})
	if err == nil && p.Default != "" {
		return v
	}
	if len(p.Enum) > 0 {
		v, _ = p.Convert([]string{p.Enum[0]})
		return v
	}
	switch p.itemType() {
	case "int":
		return wrapList(p, int64(0))
	case "float":
		return wrapList(p, float64(0))
	case "bool":
		return wrapList(p, false)
	case "date":
		return wrapList(p, "2000-01-01")
	}
	return wrapList(p, "")
}

func wrapList(p *Param, v any) any {
	if p.Type == "list" {
		return []any{v}
	}
	return v
}

// checkColumns plans the query with no rows and checks that the order
// columns are in its result.
func checkColumns(ctx context.Context, eng engine.Engine, sql string, args []any, spec *Spec) error {
	rows, err := eng.Query(ctx, "SELECT * FROM ("+sql+") AS kiln_api LIMIT 0", args...)
	if err != nil {
		return fmt.Errorf("%w sql: the engine refuses it: %v", ErrInvalid, err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	have := map[string]bool{}
	for _, c := range rows.Columns() {
		have[c.Name] = true
	}
	cols, _ := spec.orderTerms()
	for _, c := range cols {
		if !have[c] {
			return fmt.Errorf("%w order_by: %s is not a column of the result", ErrInvalid, c)
		}
	}
	return rows.Err()
}

// SetState rolls an API back to a version and/or takes it on or offline.
func (s *Service) SetState(ctx context.Context, p *meta.SetDataAPIStateParams) (*meta.DataAPI, error) {
	row, err := s.store.SetDataAPIState(ctx, p)
	if err != nil {
		return nil, err
	}
	s.cache.dropAPI(row.ID)
	return row, s.Reload(ctx)
}

// ErrNoAPI is returned for a path with no API.
var ErrNoAPI = errors.New("no such data api")
