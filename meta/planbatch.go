package meta

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ErrPlanConflict is returned by PlanInstances when an instance it was
// asked to create exists already (another planner got there first); the
// caller's transaction should be rolled back and the planning run again.
var ErrPlanConflict = errors.New("a planned instance exists already")

// PlanWrite is one instance of a planning batch: a new one (ID 0 before the
// call; PlanInstances sets it) or a waiting one to bring up to date (ID set,
// Update true).
type PlanWrite struct {
	PlanInstanceParams
	ID     int64
	Update bool
	// Ups are upstreams written in the same call (their IDs may be unknown
	// before it); UpIDs are instances that existed before it.
	Ups   []*PlanWrite
	UpIDs []int64
	// Count asks the store to count unmet upstreams from their states in
	// SQL (and move the instance as SetUpstreams does), after the writes of
	// every earlier item of the call. Without it the instance has Unmet
	// unmet upstreams (the planner knows them: instances written in this
	// call that are waiting or queued), none broken, and starts queued when
	// Unmet is 0 and NotBefore has come, else waiting.
	Count bool
	Unmet int
}

// PlannedWaiting is a waiting instance as a replan compares it with what
// it would write: when nothing differs, the instance is left alone.
type PlannedWaiting struct {
	ID        int64
	TaskID    int64
	Start     time.Time // period start
	VersionID int64
	Priority  int
	Pool      string
	NotBefore *time.Time
	Deadline  *time.Time
	Ups       []int64 // upstream instance ids, ascending
}

// PlanBatchStore is the planner's bulk access, so that planning costs a
// few statements per thousand instances instead of a few per instance.
// Both metadata stores implement it.
type PlanBatchStore interface {
	// CurrentVersions returns the current version of every task of the
	// project that is not removed, keyed by task id, in one query.
	CurrentVersions(ctx context.Context, projectID int64) (map[int64]*Version, error)
	// ListPlannedWaiting lists the waiting instances whose periods overlap
	// [From, To) (Trigger and BackfillID as in ListPeriodInstances) with
	// their upstream edges, in one query.
	ListPlannedWaiting(ctx context.Context, p *ListPeriodParams) ([]*PlannedWaiting, error)
	// PlanInstances writes ws in the caller's transaction: it inserts the
	// new instances (ErrPlanConflict when one exists), updates the waiting
	// ones marked Update (version, priority, pool, deadline, not_before,
	// while still waiting), replaces the edges of every item with Ups and
	// UpIDs, and settles unmet and state as each item's Count says, in the
	// order of ws (upstreams before downstreams). It returns how many
	// instances it created.
	PlanInstances(ctx context.Context, ws []*PlanWrite, now time.Time) (created int, err error)
}

// PlanEdgeIDs returns the ids of w's upstreams, ascending and distinct,
// once they are all known.
func (w *PlanWrite) PlanEdgeIDs() []int64 {
	ids := make([]int64, 0, len(w.Ups)+len(w.UpIDs))
	ids = append(ids, w.UpIDs...)
	for _, u := range w.Ups {
		ids = append(ids, u.ID)
	}
	return SortedIDs(ids)
}

// SortedIDs sorts ids and drops repeats, in place.
func SortedIDs(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}
