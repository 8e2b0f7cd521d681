package meta

import (
	"context"
	"time"
)

// HeldUntil is the not_before of a backfill instance the backfill gate has
// not released yet: far enough that promotion never reaches it, so the gate
// alone decides when a period of a backfill may start.
var HeldUntil = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Held reports whether not_before nb is the backfill gate's hold.
func Held(nb *time.Time) bool { return nb != nil && !nb.Before(HeldUntil) }

// Backfill is a recorded backfill.
type Backfill struct {
	ID        int64    `json:"id"`
	ProjectID int64    `json:"project_id"`
	Tasks     []string `json:"tasks"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Parallel  int      `json:"parallel"`
	Order     string   `json:"order"` // asc or desc
}

// BackfillPeriod is one bizdate of an open backfill as the gate sees it.
type BackfillPeriod struct {
	BackfillID int64
	Bizdate    string
	Held       int // instances not released yet
	Open       int // released instances not in a final state
}

// OpsStore is what the ops center needs beyond ScheduleStore (backfill
// gate, deadline watcher, duration estimates). Both metadata stores
// implement it.
type OpsStore interface {
	// SetBackfillOrder records the order in which the gate releases a
	// backfill's periods ("asc" or "desc").
	SetBackfillOrder(ctx context.Context, id int64, order string) error
	// OpenBackfills lists backfills that still hold periods back.
	OpenBackfills(ctx context.Context) ([]*Backfill, error)
	// BackfillPeriods lists the periods of backfill id with their counts.
	BackfillPeriods(ctx context.Context, id int64) ([]*BackfillPeriod, error)
	// ReleaseBackfillPeriod lets the held instances of one period of a
	// backfill go (not_before = now), queueing those with nothing unmet.
	ReleaseBackfillPeriod(ctx context.Context, id int64, bizdate string, now time.Time) (int, error)
	// LateInstances lists instances not final whose deadline passed before
	// now and that were not reported late yet.
	LateInstances(ctx context.Context, now time.Time) ([]*Instance, error)
	// MarkLate records that instance id was reported late; false when it
	// already was (another process reported it).
	MarkLate(ctx context.Context, id int64, at time.Time) (bool, error)
	// MeanDurations is the mean duration in ms of the recent successful
	// instances of each task in ids (at most the last 20 each).
	MeanDurations(ctx context.Context, ids []int64) (map[int64]int64, error)
}
