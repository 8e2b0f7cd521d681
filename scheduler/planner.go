package scheduler

import (
	"context"
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
	now     time.Time
	cutoff  time.Time // periods firing before it are not planned unless they exist
	trigger meta.Trigger
	bf      *backfillScope
	known   map[refKey]*meta.PlanRef
	done    map[refKey]int64
	kinds   map[int64]map[string]string // project id → data source name → kind
	res     *PlanResult
	dry     []*meta.PlanInstanceParams
	store   meta.Store
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
	now := p.Now()
	res := &PlanResult{Missing: g.Missing}
	err = p.store.InTx(ctx, func(tx meta.Store) error {
		ss, ok := tx.(meta.ScheduleStore)
		if !ok {
			return fmt.Errorf("the metadata store cannot schedule")
		}
		r := &run{ctx: ctx, ss: ss, store: tx, now: now, cutoff: now, trigger: meta.TriggerSchedule, res: res,
			known: map[refKey]*meta.PlanRef{}, done: map[refKey]int64{}, kinds: map[int64]map[string]string{}}
		refs, err := ss.ListPeriodInstances(ctx, &meta.ListPeriodParams{From: now.Add(-72 * time.Hour), To: now.Add(72 * time.Hour), Trigger: meta.TriggerSchedule})
		if err != nil {
			return err
		}
		for _, ref := range refs {
			r.known[refKey{ref.TaskID, ref.PeriodStart.UnixNano()}] = ref
		}
		for _, n := range g.nodes {
			if n.sched == nil || n.task.Status == meta.TaskOffline {
				continue
			}
			res.Tasks++
			horizon := midnight(now, n.sched.Loc).AddDate(0, 0, 2)
			for _, fire := range n.sched.Fires(now, horizon) {
				if _, err := r.ensure(n, n.sched.PeriodOf(fire)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	res.Took = time.Since(start)
	if err != nil {
		return nil, err
	}
	return res, nil
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
// planning the upstream instances it needs. It returns 0 when the period
// is out of scope, which counts as met.
func (r *run) ensure(n *node, per Period) (int64, error) {
	k := refKey{n.task.ID, per.Start.UnixNano()}
	if id, ok := r.done[k]; ok {
		return id, nil
	}
	existing, err := r.lookup(n, per)
	if err != nil {
		return 0, err
	}
	if !r.inScope(n, per, existing != nil) {
		r.done[k] = 0
		return 0, nil
	}
	if existing != nil && existing.State != meta.StateWaiting {
		r.done[k] = existing.ID
		return existing.ID, nil
	}
	params := r.params(n, per)
	r.res.Instances++
	var id int64
	if r.bf != nil && r.bf.dryRun {
		r.dry = append(r.dry, params)
		id = int64(len(r.dry)) // a stand-in, never written
	} else {
		ref, created, err := r.ss.PlanInstance(r.ctx, params)
		if err != nil {
			return 0, err
		}
		if created {
			r.res.Created++
		}
		id = ref.ID
	}
	r.done[k] = id
	var ups []int64
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
			uid, err := r.ensure(e.up, up)
			if err != nil {
				return 0, err
			}
			if uid != 0 {
				ups = append(ups, uid)
			}
		}
	}
	if r.bf != nil && r.bf.dryRun {
		return id, nil
	}
	slices.Sort(ups)
	if _, err := r.ss.SetUpstreams(r.ctx, id, slices.Compact(ups), r.now); err != nil {
		return 0, err
	}
	return id, nil
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
