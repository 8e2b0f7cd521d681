package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// Priorities: core tasks go before normal ones when slots are short, and
// backfills go after production runs.
const (
	CorePriorityBoost = 100
	BackfillPriority  = -1000
)

// Planner creates instances ahead of time with their dependency edges. It
// is idempotent: planning the same window twice creates nothing new, and
// waiting instances are brought up to date with their task's current
// version and dependencies.
type Planner struct {
	store meta.Store
	log   *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	mu  sync.Mutex
}

// NewPlanner returns a Planner on store.
func NewPlanner(store meta.Store, log *slog.Logger) *Planner {
	return &Planner{store: store, log: log, Now: func() time.Time { return time.Now().UTC() }}
}

// PlanResult says what a planning run did.
type PlanResult struct {
	Tasks     int           `json:"tasks"`
	Instances int           `json:"instances"` // planned instances looked at
	Created   int           `json:"created"`
	Took      time.Duration `json:"took"`
	Missing   []string      `json:"missing,omitempty"`
}

// run is one planning pass.
type run struct {
	ctx     context.Context
	ss      meta.ScheduleStore
	batch   meta.PlanBatchStore
	now     time.Time
	cutoff  time.Time // periods firing before it are not planned unless they exist
	trigger meta.Trigger
	bf      *backfillScope
	known   map[refKey]*meta.PlanRef
	waiting map[refKey]*meta.PlannedWaiting // preloaded waiting instances, for the unchanged check
	done    map[refKey]planned
	writes  []*meta.PlanWrite           // what to write, upstreams before downstreams
	kinds   map[int64]map[string]string // project id → data source name → kind
	res     *PlanResult
	dry     []*meta.PlanInstanceParams
	store   meta.Store
}

// planned is an instance as the run refers to it: an existing id, or an
// instance it writes (whose id is known once written). Neither: out of
// scope, which counts as met.
type planned struct {
	id int64
	w  *meta.PlanWrite
}

// ID is the instance's id, 0 before a new one is written.
func (p planned) ID() int64 {
	if p.w != nil {
		return p.w.ID
	}
	return p.id
}

type refKey struct {
	task  int64
	start int64
}

type backfillScope struct {
	id       int64
	tasks    map[*node]bool
	from, to string
	order    map[string]int // bizdate → rank in run order
	dryRun   bool
	held     bool // instances start held for the backfill gate
}

// Plan plans every scheduled task's periods firing from now to the end of
// tomorrow in the task's time zone.
func (p *Planner) Plan(ctx context.Context) (*PlanResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	g, err := LoadGraph(ctx, p.store)
	if err != nil {
		return nil, err
	}
	res, err := p.plan(ctx, g)
	if errors.Is(err, meta.ErrPlanConflict) {
		// Another planner wrote some of the same instances meanwhile:
		// plan again, now seeing them.
		res, err = p.plan(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

func (p *Planner) plan(ctx context.Context, g *Graph) (*PlanResult, error) {
	now := p.Now()
	res := &PlanResult{Missing: g.Missing}
	err := p.store.InTx(ctx, func(tx meta.Store) error {
		*res = PlanResult{Missing: g.Missing} // a store may run this again after a deadlock
		r, err := newRun(ctx, tx, now, meta.TriggerSchedule, nil, res)
		if err != nil {
			return err
		}
		window := &meta.ListPeriodParams{From: now.Add(-72 * time.Hour), To: now.Add(72 * time.Hour), Trigger: meta.TriggerSchedule}
		refs, err := r.ss.ListPeriodInstances(ctx, window)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			r.known[refKey{ref.TaskID, ref.PeriodStart.UnixNano()}] = ref
		}
		ws, err := r.batch.ListPlannedWaiting(ctx, window)
		if err != nil {
			return err
		}
		for _, w := range ws {
			r.waiting[refKey{w.TaskID, w.Start.UnixNano()}] = w
		}
		for _, n := range g.nodes {
			if n.sched == nil || n.task.Status == meta.TaskOffline {
				continue
			}
			res.Tasks++
			horizon := midnight(now, n.sched.Loc).AddDate(0, 0, 2)
			for per := range n.sched.Periods(now, horizon) {
				if _, err := r.ensure(n, per); err != nil {
					return err
				}
			}
		}
		return r.flush()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// newRun starts a planning pass in transaction tx.
func newRun(ctx context.Context, tx meta.Store, now time.Time, trigger meta.Trigger, bf *backfillScope, res *PlanResult) (*run, error) {
	ss, ok := tx.(meta.ScheduleStore)
	batch, ok2 := tx.(meta.PlanBatchStore)
	if !ok || !ok2 {
		return nil, fmt.Errorf("the metadata store cannot schedule")
	}
	return &run{ctx: ctx, ss: ss, batch: batch, store: tx, now: now, cutoff: now, trigger: trigger, bf: bf, res: res,
		known: map[refKey]*meta.PlanRef{}, waiting: map[refKey]*meta.PlannedWaiting{}, done: map[refKey]planned{},
		kinds: map[int64]map[string]string{}}, nil
}

// flush writes the run's instances and edges.
func (r *run) flush() error {
	if len(r.writes) == 0 {
		return nil
	}
	created, err := r.batch.PlanInstances(r.ctx, r.writes, r.now)
	r.res.Created += created
	return err
}

func (r *run) lookup(n *node, per Period) (*meta.PlanRef, error) {
	k := refKey{n.task.ID, per.Start.UnixNano()}
	if ref, ok := r.known[k]; ok {
		return ref, nil
	}
	if r.bf != nil {
		return nil, nil // a new backfill: none of its instances exist yet
	}
	if per.Start.After(r.now.Add(-72*time.Hour)) && per.Start.Before(r.now.Add(72*time.Hour)) {
		return nil, nil // the preload covers it: there is none
	}
	p := &meta.ListPeriodParams{TaskIDs: []int64{n.task.ID}, From: per.Start, To: per.End, Trigger: r.trigger}
	refs, err := r.ss.ListPeriodInstances(r.ctx, p)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		r.known[refKey{ref.TaskID, ref.PeriodStart.UnixNano()}] = ref
		if ref.PeriodStart.Equal(per.Start) {
			return ref, nil
		}
	}
	return nil, nil
}

// inScope reports whether the run plans n's period per at all.
func (r *run) inScope(n *node, per Period, exists bool) bool {
	if r.bf != nil {
		return r.bf.tasks[n] && per.Bizdate >= r.bf.from && per.Bizdate <= r.bf.to
	}
	// Catch-up is off: a period that fired before planning began is only
	// waited for when its instance exists.
	return exists || !per.Fire.Before(r.cutoff)
}

// ensure plans n's instance for per and its upstream edges, recursively
// planning the upstream instances it needs. The zero planned means the
// period is out of scope, which counts as met.
func (r *run) ensure(n *node, per Period) (planned, error) {
	k := refKey{n.task.ID, per.Start.UnixNano()}
	if p, ok := r.done[k]; ok {
		return p, nil
	}
	existing, err := r.lookup(n, per)
	if err != nil {
		return planned{}, err
	}
	if !r.inScope(n, per, existing != nil) {
		r.done[k] = planned{}
		return planned{}, nil
	}
	if existing != nil && existing.State != meta.StateWaiting {
		r.done[k] = planned{id: existing.ID}
		return r.done[k], nil
	}
	params := r.params(n, per)
	r.res.Instances++
	if r.bf != nil && r.bf.dryRun {
		r.dry = append(r.dry, params)
		r.done[k] = planned{id: int64(len(r.dry))} // a stand-in, never written
	}
	w := &meta.PlanWrite{PlanInstanceParams: *params}
	if existing != nil {
		w.ID, w.Update, w.Count = existing.ID, true, true
	}
	if r.bf == nil || !r.bf.dryRun {
		r.done[k] = planned{w: w}
	}
	for _, e := range n.ups {
		if e.up.sched == nil {
			continue // an unscheduled upstream is run by hand; nothing to wait for
		}
		rng := per
		if e.period == meta.PeriodPrevious {
			rng = n.sched.Previous(per)
		}
		for _, up := range e.up.sched.Overlapping(rng.Start, rng.End) {
			if e.up == n && up.Start.Equal(per.Start) {
				continue
			}
			u, err := r.ensure(e.up, up)
			if err != nil {
				return planned{}, err
			}
			r.addUp(w, u)
		}
	}
	if r.bf != nil && r.bf.dryRun {
		return r.done[k], nil
	}
	if existing != nil && r.unchanged(w, r.waiting[k]) {
		// Nothing to write: its edges, and so its unmet count, are as
		// they were.
		r.done[k] = planned{id: existing.ID}
		return r.done[k], nil
	}
	r.writes = append(r.writes, w)
	return r.done[k], nil
}

// addUp records upstream u of w. w's unmet count is known without asking
// the store while every upstream is new in this run and counted itself
// (new instances are waiting or queued, so unmet, and never broken).
func (r *run) addUp(w *meta.PlanWrite, u planned) {
	switch {
	case u.w == nil && u.id == 0:
		return // out of scope: met
	case u.w == nil:
		w.UpIDs = append(w.UpIDs, u.id)
		w.Count = true
	default:
		for _, x := range w.Ups {
			if x == u.w {
				return
			}
		}
		w.Ups = append(w.Ups, u.w)
		if u.w.Count || u.w.Update {
			w.Count = true
		}
		w.Unmet++
	}
}

// unchanged reports whether waiting instance was would be written as w
// again: same version, times, pool, priority, deadline and upstreams.
func (r *run) unchanged(w *meta.PlanWrite, was *meta.PlannedWaiting) bool {
	if was == nil || was.VersionID != w.VersionID || was.Priority != w.Priority || was.Pool != w.Pool ||
		!sameTime(was.NotBefore, &w.NotBefore) || !sameTime(was.Deadline, w.Deadline) {
		return false
	}
	ids := make([]int64, 0, len(w.Ups)+len(w.UpIDs))
	ids = append(ids, w.UpIDs...)
	for _, u := range w.Ups {
		if u.ID == 0 {
			return false // a new upstream
		}
		ids = append(ids, u.ID)
	}
	return slices.Equal(meta.SortedIDs(ids), was.Ups)
}

// sameTime compares times as the stores keep them (to the microsecond).
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func (r *run) params(n *node, per Period) *meta.PlanInstanceParams {
	spec := &n.version.Spec
	prio := spec.Priority
	if spec.Tier == meta.TierCore {
		prio += CorePriorityBoost
	}
	p := &meta.PlanInstanceParams{ProjectID: n.project.ID, TaskID: n.task.ID, VersionID: n.version.ID,
		Bizdate: per.Bizdate, Hour: per.Hour, PeriodStart: per.Start.UTC(), PeriodEnd: per.End.UTC(),
		NotBefore: per.Fire.UTC(), Trigger: r.trigger, Priority: prio, Pool: r.pool(n), CreatedBy: "scheduler"}
	if spec.Deadline > 0 {
		d := per.Fire.Add(spec.Deadline.Std()).UTC()
		p.Deadline = &d
	}
	if r.bf != nil {
		p.BackfillID, p.NotBefore, p.CreatedBy = r.bf.id, r.now, "backfill"
		if r.bf.held {
			p.NotBefore = meta.HeldUntil
		}
		p.Priority = prio + BackfillPriority - r.bf.order[per.Bizdate]
		p.Deadline = nil
	}
	return p
}

// pool is the pool an instance of n runs in: the task's, or the embedded
// warehouse's for SQL on it, so that DuckDB writes have their own slots.
func (r *run) pool(n *node) string {
	spec := &n.version.Spec
	if spec.Pool != "" && spec.Pool != n.project.Config.Defaults.Pool {
		return spec.Pool
	}
	if spec.Type == meta.TaskSQLModel || spec.Type == meta.TaskSQLScript {
		kinds, ok := r.kinds[n.project.ID]
		if !ok {
			kinds = map[string]string{}
			if dss, err := r.store.ListDataSources(r.ctx, n.project.ID); err == nil {
				for _, ds := range dss {
					kinds[ds.Name] = ds.Kind
				}
			}
			r.kinds[n.project.ID] = kinds
		}
		engine := spec.Engine
		if engine == "" {
			engine = n.project.DefaultEngine
		}
		if kinds[engine] == "duckdb" {
			return meta.DuckDBPool
		}
	}
	return spec.Pool
}
