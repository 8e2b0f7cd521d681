// Package catalog is the data map's catalog: it crawls every table of every
// data source of a project (columns, types, comments, row counts and sizes
// where the engine reports them), joins what lineage knows (producing task,
// its owner and tags, layer, partitions and their last update), marks
// sensitive columns, records schema changes between crawls, and keeps an
// in-memory search index rebuilt after each crawl.
package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// crawlSettle is how long successes are gathered before their projects
// are crawled.
const crawlSettle = time.Second

// DefaultInterval is how often every project is crawled.
const DefaultInterval = time.Hour

// DefaultPartitionLimit caps the partition values read per table.
const DefaultPartitionLimit = 400

// Config configures a Crawler.
type Config struct {
	// Interval is the time between two crawls of every project; each
	// successful instance also crawls its project. Default DefaultInterval.
	Interval time.Duration
	// PartitionLimit caps the partition values kept per table.
	PartitionLimit int
}

// Engines opens a project's data sources (sources.Registry).
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Crawler crawls projects' data sources into the catalog.
type Crawler struct {
	cfg     Config
	store   meta.Store
	cs      meta.CatalogStore
	lin     *lineage.Service
	engines Engines
	bus     *events.Bus
	log     *slog.Logger

	mu      sync.Mutex
	indexes map[int64]*Index
	crawlMu sync.Mutex // one crawl at a time: they share engines

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Crawler. lin may be nil (no owners, producers or partitions
// updates then); bus may be nil (no crawl after instances).
func New(cfg Config, store meta.Store, cs meta.CatalogStore, lin *lineage.Service, engines Engines, bus *events.Bus, log *slog.Logger) (*Crawler, error) {
	cfg.Interval = cmp.Or(cfg.Interval, DefaultInterval)
	cfg.PartitionLimit = cmp.Or(cfg.PartitionLimit, DefaultPartitionLimit)
	if cfg.Interval < time.Second {
		return nil, fmt.Errorf("catalog crawl interval %s is too short (at least 1s)", cfg.Interval)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Crawler{cfg: cfg, store: store, cs: cs, lin: lin, engines: engines, bus: bus, log: log, indexes: map[int64]*Index{}}, nil
}

// Start crawls every project now and then every Interval, and a project
// again after each of its instances succeeds, until Stop.
func (c *Crawler) Start(ctx context.Context) error {
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	var sub *events.Subscription
	if c.bus != nil {
		sub = c.bus.Subscribe(256)
	}
	go c.loop(ctx, sub)
	return nil
}

// Stop ends the crawl loop and waits for a running crawl to stop.
func (c *Crawler) Stop() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
}

func (c *Crawler) loop(ctx context.Context, sub *events.Subscription) {
	defer close(c.done)
	var evc <-chan events.Event
	if sub != nil {
		defer sub.Close()
		evc = sub.C
	}
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	c.crawlAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.crawlAll(ctx)
		case ev := <-evc:
			if ev.Kind != events.InstanceFinished || ev.Instance.State != meta.StateSuccess {
				continue
			}
			// Several instances finishing together need one crawl each
			// project, not one each: gather successes for a short while
			// (a crawl per success of a busy graph cost more than its tasks).
			projects := map[int64]bool{ev.Instance.ProjectID: true}
			settle := time.NewTimer(crawlSettle)
			for more := true; more; {
				select {
				case e := <-evc:
					if e.Kind == events.InstanceFinished && e.Instance.State == meta.StateSuccess {
						projects[e.Instance.ProjectID] = true
					}
				case <-settle.C:
					more = false
				case <-ctx.Done():
					settle.Stop()
					return
				}
			}
			for id := range projects {
				if p, err := c.store.GetProjectByID(ctx, id); err == nil {
					c.logErr(ctx, p, c.CrawlProject(ctx, p))
				}
			}
		}
	}
}

func (c *Crawler) crawlAll(ctx context.Context) {
	ps, err := c.store.ListProjects(ctx)
	if err != nil {
		c.logErr(ctx, nil, err)
		return
	}
	for _, p := range ps {
		c.logErr(ctx, p, c.CrawlProject(ctx, p))
	}
}

func (c *Crawler) logErr(ctx context.Context, p *meta.Project, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	name := ""
	if p != nil {
		name = p.Name
	}
	c.log.Warn("catalog: crawl", "project", name, "err", err)
}

// taskInfo is what the catalog takes from the tasks of a project.
type taskInfo struct {
	lineage *meta.TaskLineage
	spec    meta.TaskSpec
}

// CrawlProject crawls every data source of a project now. An engine that
// cannot be reached is reported in the error and keeps its last crawl.
func (c *Crawler) CrawlProject(ctx context.Context, p *meta.Project) error {
	c.crawlMu.Lock()
	defer c.crawlMu.Unlock()
	dss, err := c.store.ListDataSources(ctx, p.ID)
	if err != nil {
		return err
	}
	var tasks []taskInfo
	if len(dss) > 0 { // reading every task's lineage is wasted without an engine to crawl
		if tasks, err = c.tasks(ctx, p); err != nil {
			return err
		}
	}
	prev, err := c.cs.ListCatalogTables(ctx, p.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, ds := range dss {
		tables, err := c.crawlEngine(ctx, p, ds.Name, tasks)
		if err != nil {
			errs = append(errs, fmt.Errorf("engine %s: %w", ds.Name, err))
			continue
		}
		if err := c.recordChanges(ctx, p.ID, ds.Name, prev, tables); err != nil {
			errs = append(errs, err)
		}
		if err := c.cs.ReplaceCatalogTables(ctx, p.ID, ds.Name, tables); err != nil {
			errs = append(errs, err)
		}
	}
	all, err := c.cs.ListCatalogTables(ctx, p.ID)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	c.mu.Lock()
	c.indexes[p.ID] = NewIndex(all)
	c.mu.Unlock()
	return errors.Join(errs...)
}

// tasks returns the current lineage and definition of each SQL task.
func (c *Crawler) tasks(ctx context.Context, p *meta.Project) ([]taskInfo, error) {
	if c.lin == nil {
		return nil, nil
	}
	_, ls, err := c.lin.Graph(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]taskInfo, 0, len(ls))
	for _, l := range ls {
		v, err := c.store.GetVersion(ctx, l.TaskID, l.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, taskInfo{lineage: l, spec: v.Spec})
	}
	return out, nil
}

func (c *Crawler) crawlEngine(ctx context.Context, p *meta.Project, name string, tasks []taskInfo) ([]*meta.CatalogTable, error) {
	e, err := c.engines.Engine(ctx, p.ID, name)
	if err != nil {
		return nil, err
	}
	schema, err := crawlScope(ctx, e)
	if err != nil {
		return nil, err
	}
	refs, err := e.ListTables(ctx, schema)
	if err != nil {
		return nil, err
	}
	stats, err := readStats(ctx, e)
	if err != nil {
		c.log.Warn("catalog: table sizes", "project", p.Name, "engine", name, "err", err)
		stats = map[string]tableStats{}
	}
	now := time.Now().UTC()
	var out []*meta.CatalogTable
	for _, ref := range refs {
		if strings.HasPrefix(ref.Name, "_kiln_") || strings.HasPrefix(ref.Name, "__kiln") {
			continue // staging tables of a run in progress
		}
		d, err := e.Describe(ctx, ref)
		if errors.Is(err, engine.ErrTableNotFound) {
			continue // dropped between list and describe
		}
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", ref, err)
		}
		t := &meta.CatalogTable{ProjectID: p.ID, Engine: name, Schema: d.Ref.Schema, Name: d.Ref.Name, Kind: d.Kind,
			Comment: d.Comment, Rows: -1, SizeBytes: -1, Tags: []string{}, Producers: []string{}, CrawledAt: now}
		if st, ok := stats[strings.ToLower(t.FullName())]; ok {
			t.Database, t.Rows, t.SizeBytes = st.database, st.rows, st.size
		}
		for _, col := range d.Columns {
			t.Columns = append(t.Columns, meta.CatalogColumn{Name: col.Name, Type: col.Type, Comment: col.Comment,
				Sensitive: Sensitive(t.FullName(), col.Name, p.Config.Sensitive)})
		}
		partCol := c.join(t, tasks)
		t.Layer = LayerOf(t.Schema, t.Name, t.Tags)
		if t.Kind == "table" {
			t.Partitions, err = c.partitions(ctx, p, e, t, partCol)
			if err != nil {
				c.log.Warn("catalog: partitions", "project", p.Name, "table", t.FullName(), "err", err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// join fills what the tasks writing t say: producers, owner, tags; it
// returns the period column a producing model partitions by, if any.
func (c *Crawler) join(t *meta.CatalogTable, tasks []taskInfo) (partCol string) {
	for _, ti := range tasks {
		if !slices.ContainsFunc(ti.lineage.Targets, func(n string) bool { return sameTable(n, t.Schema, t.Name) }) {
			continue
		}
		t.Producers = append(t.Producers, ti.lineage.TaskName)
		t.Owner = cmp.Or(t.Owner, ti.spec.Owner)
		for _, tag := range ti.spec.Tags {
			if !slices.Contains(t.Tags, tag) {
				t.Tags = append(t.Tags, tag)
			}
		}
		partCol = cmp.Or(partCol, ti.spec.PartitionColumn)
	}
	return partCol
}

// partitions reads the distinct values of t's period column (the producing
// model's partition column, else a conventional name like dt) with their row
// counts, and when an instance last wrote each period.
func (c *Crawler) partitions(ctx context.Context, p *meta.Project, e engine.Engine, t *meta.CatalogTable, col string) ([]meta.CatalogPartition, error) {
	if col == "" {
		for _, cc := range t.Columns {
			if slices.Contains(PartitionColumns, strings.ToLower(cc.Name)) {
				col = cc.Name
				break
			}
		}
	}
	if col == "" {
		return nil, nil
	}
	d := e.Dialect()
	tbl := quote(d, t.Name)
	if t.Schema != "" {
		tbl = quote(d, t.Schema) + "." + tbl
	}
	q := fmt.Sprintf("SELECT %s, count(*) FROM %s GROUP BY 1 ORDER BY 1 DESC LIMIT %d", quote(d, col), tbl, c.cfg.PartitionLimit)
	rows, err := e.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.CatalogPartition
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, meta.CatalogPartition{Column: col, Value: str(v[0]), Rows: toInt(v[1])})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.lin == nil || len(out) == 0 {
		return out, nil
	}
	last := map[string]time.Time{}
	for _, name := range []string{t.FullName(), t.Name} {
		ws, err := c.lin.Store().ListTableWrites(ctx, p.ID, strings.ToLower(name), 1000)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if w.At.After(last[w.Bizdate]) {
				last[w.Bizdate] = w.At
			}
		}
	}
	for i := range out {
		if at, ok := last[out[i].Value]; ok {
			out[i].UpdatedAt = &at
		}
	}
	return out, nil
}

// recordChanges saves the schema changes between the previous crawl of an
// engine and this one. The first crawl of an engine records nothing: every
// table would read as added.
func (c *Crawler) recordChanges(ctx context.Context, projectID int64, eng string, prev, now []*meta.CatalogTable) error {
	old := map[string]*meta.CatalogTable{}
	for _, t := range prev {
		if t.Engine == eng {
			old[t.FullName()] = t
		}
	}
	if len(old) == 0 {
		return nil
	}
	for _, t := range now {
		for _, ch := range Diff(old[t.FullName()], t) {
			ch.ProjectID, ch.Engine = projectID, eng
			if err := c.cs.AddCatalogChange(ctx, ch); err != nil {
				return err
			}
		}
	}
	return nil
}

// Diff lists the schema changes from old (nil: the table is new) to cur.
func Diff(old, cur *meta.CatalogTable) []*meta.CatalogChange {
	name := cur.FullName()
	if old == nil {
		return []*meta.CatalogChange{{Table: name, Kind: "table_added"}}
	}
	var out []*meta.CatalogChange
	was := map[string]string{}
	for _, col := range old.Columns {
		was[strings.ToLower(col.Name)] = col.Type
	}
	seen := map[string]bool{}
	for _, col := range cur.Columns {
		k := strings.ToLower(col.Name)
		seen[k] = true
		typ, ok := was[k]
		switch {
		case !ok:
			out = append(out, &meta.CatalogChange{Table: name, Kind: "column_added", Column: col.Name, Detail: col.Type})
		case !strings.EqualFold(typ, col.Type):
			out = append(out, &meta.CatalogChange{Table: name, Kind: "type_changed", Column: col.Name, Detail: typ + " -> " + col.Type})
		}
	}
	for _, col := range old.Columns {
		if !seen[strings.ToLower(col.Name)] {
			out = append(out, &meta.CatalogChange{Table: name, Kind: "column_removed", Column: col.Name, Detail: col.Type})
		}
	}
	return out
}

// Tables returns a project's catalog.
func (c *Crawler) Tables(ctx context.Context, projectID int64) ([]*meta.CatalogTable, error) {
	return c.cs.ListCatalogTables(ctx, projectID)
}

// Find returns the catalog entry of a table named as lineage names it
// (schema.table or table), nil when the crawler has not seen it.
func (c *Crawler) Find(ctx context.Context, projectID int64, name string) (*meta.CatalogTable, error) {
	ts, err := c.cs.ListCatalogTables(ctx, projectID)
	if err != nil {
		return nil, err
	}
	name = strings.ToLower(name)
	for _, t := range ts {
		if sameTable(name, t.Schema, t.Name) {
			return t, nil
		}
	}
	return nil, nil
}

// Changes lists a table's schema changes, newest first.
func (c *Crawler) Changes(ctx context.Context, projectID int64, table string, limit int) ([]*meta.CatalogChange, error) {
	return c.cs.ListCatalogChanges(ctx, projectID, table, limit)
}

// index returns the search index of a project, built from the store when
// no crawl has run in this process yet.
func (c *Crawler) index(ctx context.Context, projectID int64) (*Index, error) {
	c.mu.Lock()
	ix := c.indexes[projectID]
	c.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	ts, err := c.cs.ListCatalogTables(ctx, projectID)
	if err != nil {
		return nil, err
	}
	ix = NewIndex(ts)
	c.mu.Lock()
	c.indexes[projectID] = ix
	c.mu.Unlock()
	return ix, nil
}

// Search searches a project's catalog.
func (c *Crawler) Search(ctx context.Context, projectID int64, q Query) ([]Hit, error) {
	ix, err := c.index(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return ix.Search(q), nil
}
