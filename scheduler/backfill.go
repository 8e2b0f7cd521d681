package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// ErrInvalid marks a request that cannot be planned as asked.
var ErrInvalid = errors.New("invalid request")

// BackfillRequest asks for the instances of some tasks for a range of
// bizdates.
type BackfillRequest struct {
	Project    *meta.Project
	Tasks      []string // task names of Project
	From, To   string   // bizdates, inclusive
	Downstream bool     // also every task downstream of Tasks, in any project
	Parallel   int      // periods in flight at once; 0: no limit
	Order      string   // "asc" (default) or "desc"
	DryRun     bool
	CreatedBy  string
}

// BackfillResult says what a backfill planned (or would plan).
type BackfillResult struct {
	ID        int64           `json:"id,omitempty"`
	Count     int             `json:"count"`
	Periods   int             `json:"periods"`
	Instances []BackfillEntry `json:"instances"`
	// EstimatedMs is the backfill's duration estimated from history: each
	// task's mean successful duration summed, divided by Parallel.
	EstimatedMs int64 `json:"estimated_ms"`
	// Unknown counts the tasks with no successful run to estimate from.
	Unknown int `json:"unknown"`
}

// BackfillEntry is one planned instance of a backfill.
type BackfillEntry struct {
	ID      int64  `json:"id,omitempty"`
	Project string `json:"project"`
	Task    string `json:"task"`
	Bizdate string `json:"bizdate"`
	Hour    int    `json:"hour,omitempty"`
}

// Backfill plans a backfill: every period of the chosen tasks whose bizdate
// is in the range, with their dependency edges. Its instances start held;
// the scheduler's backfill gate releases them a period at a time, at most
// Parallel periods in flight, in Order. They run at BackfillPriority, below
// every production instance.
func (p *Planner) Backfill(ctx context.Context, req *BackfillRequest) (*BackfillResult, error) {
	from, err1 := time.Parse(time.DateOnly, req.From)
	to, err2 := time.Parse(time.DateOnly, req.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return nil, fmt.Errorf("backfill: from and to must be dates like 2024-03-01 with from ≤ to, got %q and %q: %w", req.From, req.To, ErrInvalid)
	}
	if req.Order != "" && req.Order != "asc" && req.Order != "desc" {
		return nil, fmt.Errorf("backfill: order must be asc or desc, got %q: %w", req.Order, ErrInvalid)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g, err := LoadGraph(ctx, p.store)
	if err != nil {
		return nil, err
	}
	scope, err := backfillTasks(g, req)
	if err != nil {
		return nil, err
	}
	bf := &backfillScope{tasks: scope, from: req.From, to: req.To, order: map[string]int{}, dryRun: req.DryRun,
		held: req.Parallel > 0}
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	if req.Order == "desc" {
		slices.Reverse(dates)
	}
	for i, d := range dates {
		bf.order[d] = i
	}
	res := &BackfillResult{Periods: len(dates)}
	err = p.store.InTx(ctx, func(tx meta.Store) error {
		*res = BackfillResult{Periods: len(dates)} // a store may run this again after a deadlock
		ss, ok := tx.(meta.ScheduleStore)
		if !ok {
			return fmt.Errorf("the metadata store cannot schedule")
		}
		if !req.DryRun {
			if bf.id, err = ss.CreateBackfill(ctx, &meta.CreateBackfillParams{ProjectID: req.Project.ID, Tasks: req.Tasks,
				From: req.From, To: req.To, Parallel: req.Parallel, CreatedBy: req.CreatedBy}); err != nil {
				return err
			}
			if ops, ok := tx.(meta.OpsStore); ok && req.Order == "desc" {
				if err := ops.SetBackfillOrder(ctx, bf.id, "desc"); err != nil {
					return err
				}
			}
		}
		r, err := newRun(ctx, tx, p.Now(), meta.TriggerBackfill, bf, &PlanResult{})
		if err != nil {
			return err
		}
		var refs []planned
		for _, n := range g.nodes {
			if !scope[n] {
				continue
			}
			lo := midnightIn(from, n.sched.Loc)
			for per := range n.sched.Periods(lo, lo.AddDate(0, 0, len(dates)+fireSlack(n.sched.Cycle))) {
				if per.Bizdate < req.From || per.Bizdate > req.To {
					continue
				}
				ref, err := r.ensure(n, per)
				if err != nil {
					return err
				}
				refs = append(refs, ref)
				res.Instances = append(res.Instances, BackfillEntry{Project: n.project.Name, Task: n.task.Name,
					Bizdate: per.Bizdate, Hour: per.Hour})
			}
		}
		if err := r.flush(); err != nil {
			return err
		}
		if !req.DryRun {
			for i, ref := range refs {
				res.Instances[i].ID = ref.ID()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.ID, res.Count = bf.id, len(res.Instances)
	slices.SortStableFunc(res.Instances, func(a, b BackfillEntry) int { return bf.order[a.Bizdate] - bf.order[b.Bizdate] })
	p.estimate(ctx, g, req, res)
	return res, nil
}

// fireSlack is how many days after the last bizdate of a backfill its
// periods' fires can come. A day-level period's bizdate is the day before
// its fire's date, so a fire on or after the second day past the range
// has a later bizdate. A sub-daily period's bizdate is its start's date,
// and its start is at most the lookback and an hour before its fire. The
// walk used to go 40 days past the range for every cycle: 960 periods of
// an hourly task for one date, all but 24 of them dropped.
func fireSlack(c Cycle) int {
	switch c {
	case CycleMinute, CycleHourly:
		return int((lookback[c]+time.Hour)/(24*time.Hour)) + 2
	}
	return 3
}

// midnightIn is the start of t's calendar date in loc.
func midnightIn(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// backfillTasks is the set of tasks a backfill plans.
func backfillTasks(g *Graph, req *BackfillRequest) (map[*node]bool, error) {
	if len(req.Tasks) == 0 {
		return nil, fmt.Errorf("backfill: name at least one task: %w", ErrInvalid)
	}
	scope := map[*node]bool{}
	for _, name := range req.Tasks {
		n := g.task(req.Project.Name, name)
		if n == nil {
			return nil, fmt.Errorf("backfill: project %s has no task %q: %w", req.Project.Name, name, meta.ErrNotFound)
		}
		if n.sched == nil {
			return nil, fmt.Errorf("backfill: task %s has no schedule, so it has no periods to fill; run it with 'kiln run' instead: %w", name, ErrInvalid)
		}
		scope[n] = true
		if req.Downstream {
			for _, d := range g.Downstream(req.Project.Name, name, 0) {
				if m := g.task(d.Project, d.Task); m != nil && m.sched != nil && m.task.Status != meta.TaskOffline {
					scope[m] = true
				}
			}
		}
	}
	return scope, nil
}

// estimate fills in the duration estimate from the tasks' recent runs.
func (p *Planner) estimate(ctx context.Context, g *Graph, req *BackfillRequest, res *BackfillResult) {
	ops, ok := p.store.(meta.OpsStore)
	if !ok {
		return
	}
	var ids []int64
	perTask := map[int64]int{}
	for _, e := range res.Instances {
		n := g.task(e.Project, e.Task)
		if perTask[n.task.ID] == 0 {
			ids = append(ids, n.task.ID)
		}
		perTask[n.task.ID]++
	}
	means, err := ops.MeanDurations(ctx, ids)
	if err != nil {
		return
	}
	var total int64
	for id, k := range perTask {
		ms, ok := means[id]
		if !ok {
			res.Unknown++
			continue
		}
		total += ms * int64(k)
	}
	res.EstimatedMs = total / int64(max(1, min(req.Parallel, res.Periods)))
	if req.Parallel == 0 {
		res.EstimatedMs = total / int64(max(1, res.Periods))
	}
}
