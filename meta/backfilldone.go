package meta

import (
	"context"
	"time"
)

// BackfillDone is a backfill all of whose instances reached a final state.
type BackfillDone struct {
	Backfill
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"` // every final state but success
}

// BackfillWatchStore finds finished backfills so that "backfill finished"
// is announced once. Both metadata stores implement it.
type BackfillWatchStore interface {
	// FinishedBackfills lists backfills not yet marked finished that have
	// instances and none of them in a non-final state.
	FinishedBackfills(ctx context.Context) ([]*BackfillDone, error)
	// MarkBackfillFinished records that a backfill was announced; false when
	// it already was (another process did it).
	MarkBackfillFinished(ctx context.Context, id int64, at time.Time) (bool, error)
}
