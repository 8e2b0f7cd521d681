package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// Ops are the operator's actions on instances and tasks beyond running
// them: reruns, marks, dependency views, "why is it not running", the ops
// summary. The API calls them; they need only the store.
type Ops struct {
	store   meta.Store
	Planner *Planner
}

// NewOps returns the ops actions on store.
func NewOps(store meta.Store, planner *Planner) *Ops { return &Ops{store: store, Planner: planner} }

// Graph loads the current task graph of every project.
func (o *Ops) Graph(ctx context.Context) (*Graph, error) { return LoadGraph(ctx, o.store) }

// Rerun queues a final instance again; with downstream, every instance
// downstream of it in the same bizdate goes back to waiting too, so they run
// again in dependency order as their upstreams succeed. It all happens in
// one transaction and returns the instances moved, the rerun one first.
func (o *Ops) Rerun(ctx context.Context, id int64, downstream bool, by string) ([]*meta.Instance, error) {
	var out []*meta.Instance
	err := o.store.InTx(ctx, func(tx meta.Store) error {
		out = nil
		root, err := tx.GetInstance(ctx, id)
		if err != nil {
			return err
		}
		if !root.State.Final() {
			return fmt.Errorf("instance %d is %s; only a finished instance can be rerun: %w", id, root.State, meta.ErrConflict)
		}
		var downs []int64
		if downstream {
			if downs, err = downstreamSameDay(ctx, tx, root); err != nil {
				return err
			}
		}
		// Downstream first: the root leaving success then raises their unmet
		// counts, and nothing runs before the transaction commits.
		for _, d := range downs {
			msg := fmt.Sprintf("rerun with upstream instance %d by %s", id, by)
			inst, err := tx.TransitionInstance(ctx, &meta.TransitionParams{ID: d, To: meta.StateWaiting, ResetRun: true,
				From: []meta.State{meta.StateSuccess, meta.StateFailed, meta.StateKilled, meta.StateSkipped, meta.StateUpstreamFailed}, Error: &msg})
			if errors.Is(err, meta.ErrConflict) {
				continue // waiting already, or running: leave it be
			}
			if err != nil {
				return err
			}
			out = append(out, inst)
		}
		zero := time.Time{}
		inst, err := tx.TransitionInstance(ctx, &meta.TransitionParams{ID: id, To: meta.StateQueued, ResetRun: true,
			From: []meta.State{root.State}, NotBefore: &zero})
		if err != nil {
			return err
		}
		out = append([]*meta.Instance{inst}, out...)
		return nil
	})
	return out, err
}

// downstreamSameDay walks the dependency edges down from root, keeping the
// instances of root's bizdate (a next day's self-dependency is not part of a
// rerun), nearest first.
func downstreamSameDay(ctx context.Context, store meta.Store, root *meta.Instance) ([]int64, error) {
	ss, ok := store.(meta.ScheduleStore)
	if !ok {
		return nil, fmt.Errorf("the metadata store cannot schedule")
	}
	seen := map[int64]bool{root.ID: true}
	var out []int64
	level := []int64{root.ID}
	for len(level) > 0 {
		var next []int64
		for _, id := range level {
			refs, err := ss.Downstreams(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				if seen[r.ID] || r.Bizdate != root.Bizdate {
					continue
				}
				seen[r.ID] = true
				out = append(out, r.ID)
				next = append(next, r.ID)
			}
		}
		level = next
	}
	return out, nil
}

// Mark sets a finished, waiting or queued instance to success or failed by
// hand. Success lets downstream instances proceed; failed marks them
// upstream_failed.
func (o *Ops) Mark(ctx context.Context, id int64, to meta.State, by string) (*meta.Instance, error) {
	if to != meta.StateSuccess && to != meta.StateFailed {
		return nil, fmt.Errorf("an instance can be marked success or failed, not %s", to)
	}
	now := time.Now().UTC()
	msg := fmt.Sprintf("marked %s by %s", to, by)
	from := []meta.State{meta.StateWaiting, meta.StateQueued, meta.StateSuccess, meta.StateFailed, meta.StateKilled,
		meta.StateSkipped, meta.StateUpstreamFailed}
	inst, err := o.store.TransitionInstance(ctx, &meta.TransitionParams{ID: id, From: from, To: to, EndedAt: &now,
		Error: &msg, ClearLease: true})
	if errors.Is(err, meta.ErrConflict) {
		cur, gerr := o.store.GetInstance(ctx, id)
		if gerr == nil && cur.State == meta.StateRunning {
			return nil, fmt.Errorf("instance %d is running; kill it first: %w", id, meta.ErrConflict)
		}
	}
	return inst, err
}

// InstanceNode is an instance in a dependency listing.
type InstanceNode struct {
	*meta.PlanRef
	Project string `json:"project"`
	Depth   int    `json:"depth"`
}

// InstanceNeighbours walks an instance's upstream (up) or downstream
// instances to depth levels (0: all), nearest first.
func (o *Ops) InstanceNeighbours(ctx context.Context, id int64, up bool, depth int) ([]InstanceNode, error) {
	ss, ok := o.store.(meta.ScheduleStore)
	if !ok {
		return nil, fmt.Errorf("the metadata store cannot schedule")
	}
	names := projectNames{store: o.store}
	seen := map[int64]bool{id: true}
	var out []InstanceNode
	level := []int64{id}
	for d := 1; len(level) > 0 && (depth <= 0 || d <= depth); d++ {
		var next []int64
		for _, x := range level {
			var refs []*meta.PlanRef
			var err error
			if up {
				refs, err = ss.Upstreams(ctx, x)
			} else {
				refs, err = ss.Downstreams(ctx, x)
			}
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
				out = append(out, InstanceNode{PlanRef: r, Project: names.name(ctx, r.ProjectID), Depth: d})
				next = append(next, r.ID)
			}
		}
		level = next
	}
	return out, nil
}

type projectNames struct {
	store meta.Store
	m     map[int64]string
}

func (p *projectNames) name(ctx context.Context, id int64) string {
	if p.m == nil {
		p.m = map[int64]string{}
	}
	if n, ok := p.m[id]; ok {
		return n
	}
	n := fmt.Sprint(id)
	if pr, err := p.store.GetProjectByID(ctx, id); err == nil {
		n = pr.Name
	}
	p.m[id] = n
	return n
}

// Summary is the ops summary of one group (or one project, or everything
// asked for) on one bizdate.
type Summary struct {
	Bizdate string `json:"bizdate"`
	// Project is the project's name when the summary is of one project or
	// grouped by project.
	Project string `json:"project,omitempty"`
	// Group is the owner, tier or project name grouped by ("" when not
	// grouped, or for tasks with no owner or tier); Others marks the row that
	// merges the groups beyond the top ones.
	Group       string             `json:"group"`
	Others      bool               `json:"others,omitempty"`
	Total       int                `json:"total"`
	States      map[meta.State]int `json:"states"`
	SuccessRate float64            `json:"success_rate"` // successes among finished instances
	// OnTimeRate is the share of instances with a deadline that succeeded
	// by it; -1 when none has a deadline.
	OnTimeRate      float64 `json:"on_time_rate"`
	TotalDurationMs int64   `json:"total_duration_ms"`
	P95DurationMs   int64   `json:"p95_duration_ms"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	// CPUHours is CPUSeconds / 3600, the cost measure of the dashboard.
	CPUHours float64 `json:"cpu_hours"`
}

// Summarize builds the ops summary per bizdate and group; the store does
// the aggregation (meta.SummaryStore). With p.GroupBy project the groups are
// named by project name.
func (o *Ops) Summarize(ctx context.Context, p *meta.SummaryParams) ([]*Summary, error) {
	ss, ok := o.store.(meta.SummaryStore)
	if !ok {
		return nil, fmt.Errorf("the metadata store cannot summarize instances")
	}
	rows, err := ss.OpsSummary(ctx, p)
	if err != nil {
		return nil, err
	}
	type key struct {
		day, group string
		others     bool
	}
	type acc struct {
		s                       *Summary
		final, deadline, ontime int
	}
	names := projectNames{store: o.store}
	one := ""
	if len(p.ProjectIDs) == 1 {
		one = names.name(ctx, p.ProjectIDs[0])
	}
	byKey := map[key]*acc{}
	var out []*Summary
	var accs []*acc
	for _, r := range rows {
		k := key{r.Bizdate, r.Group, r.Others}
		a := byKey[k]
		if a == nil {
			a = &acc{s: &Summary{Bizdate: r.Bizdate, Project: one, Group: r.Group, Others: r.Others, States: map[meta.State]int{}}}
			if p.GroupBy == meta.GroupProject && !r.Others {
				if id, err := strconv.ParseInt(r.Group, 10, 64); err == nil {
					a.s.Group = names.name(ctx, id)
					a.s.Project = a.s.Group
				}
			}
			byKey[k] = a
			accs = append(accs, a)
			out = append(out, a.s)
		}
		a.s.Total += r.Count
		a.s.States[r.State] += r.Count
		a.s.TotalDurationMs += r.DurationMs
		a.s.CPUSeconds += r.CPUSeconds
		a.s.P95DurationMs = r.P95DurationMs
		if r.State.Final() {
			a.final += r.Count
		}
		a.deadline += r.WithDeadline
		a.ontime += r.OnTime
	}
	for _, a := range accs {
		if a.final > 0 {
			a.s.SuccessRate = float64(a.s.States[meta.StateSuccess]) / float64(a.final)
		}
		a.s.OnTimeRate = -1
		if a.deadline > 0 {
			a.s.OnTimeRate = float64(a.ontime) / float64(a.deadline)
		}
		a.s.CPUHours = a.s.CPUSeconds / 3600
	}
	// Rows come ordered by bizdate and group id; project groups read best
	// sorted by name.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bizdate != out[j].Bizdate {
			return out[i].Bizdate < out[j].Bizdate
		}
		if out[i].Others != out[j].Others {
			return !out[i].Others
		}
		return out[i].Group < out[j].Group
	})
	return out, nil
}

// ReleaseBackfills is the backfill gate: for each backfill still holding
// periods back, it releases the next ones in the backfill's order while
// fewer than its Parallel periods are in flight. A period is in flight
// while any of its released instances is not final, so a failed date frees
// its place like a successful one. It returns how many periods it released.
func ReleaseBackfills(ctx context.Context, ops meta.OpsStore, now time.Time) (int, error) {
	bfs, err := ops.OpenBackfills(ctx)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, b := range bfs {
		periods, err := ops.BackfillPeriods(ctx, b.ID)
		if err != nil {
			return released, err
		}
		if b.Order == "desc" {
			slices.Reverse(periods)
		}
		inFlight := 0
		for _, p := range periods {
			if p.Held == 0 && p.Open > 0 {
				inFlight++
			}
		}
		for _, p := range periods {
			if p.Held == 0 {
				continue
			}
			if b.Parallel > 0 && inFlight >= b.Parallel {
				break
			}
			if _, err := ops.ReleaseBackfillPeriod(ctx, b.ID, p.Bizdate, now); err != nil {
				return released, err
			}
			inFlight++
			released++
		}
	}
	return released, nil
}

// ReportLate publishes instance.late once for every unfinished instance
// past its deadline and returns how many it reported.
func ReportLate(ctx context.Context, ops meta.OpsStore, bus *events.Bus, now time.Time) (int, error) {
	late, err := ops.LateInstances(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, inst := range late {
		ok, err := ops.MarkLate(ctx, inst.ID, now)
		if err != nil {
			return n, err
		}
		if ok {
			bus.Publish(events.Event{Kind: events.InstanceLate, Instance: *inst})
			n++
		}
	}
	return n, nil
}
