package meta

import (
	"context"
	"time"
)

// SyncMetrics is what one sync run moved, kept per instance (the latest
// attempt's): `kiln instance show` prints it.
type SyncMetrics struct {
	InstanceID  int64     `json:"instance_id"`
	Attempt     int       `json:"attempt"`
	RowsRead    int64     `json:"rows_read"`
	RowsWritten int64     `json:"rows_written"`
	DirtyRows   int64     `json:"dirty_rows"`
	Bytes       int64     `json:"bytes"`
	DurationMs  int64     `json:"duration_ms"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// SyncMetricsStore keeps sync runs' metrics (migration 0003).
type SyncMetricsStore interface {
	// PutSyncMetrics records a run's metrics, replacing the instance's
	// earlier ones; RecordedAt is set.
	PutSyncMetrics(ctx context.Context, m *SyncMetrics) error
	// GetSyncMetrics returns an instance's metrics; ErrNotFound when none.
	GetSyncMetrics(ctx context.Context, instanceID int64) (*SyncMetrics, error)
}
