package pgmeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.SyncMetricsStore = (*Store)(nil)

// PutSyncMetrics implements meta.SyncMetricsStore.
func (s *Store) PutSyncMetrics(ctx context.Context, m *meta.SyncMetrics) error {
	m.RecordedAt = now()
	_, err := s.q().Exec(ctx, `
		INSERT INTO sync_metrics (instance_id, attempt, rows_read, rows_written, dirty_rows, bytes, duration_ms, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (instance_id) DO UPDATE SET attempt = excluded.attempt, rows_read = excluded.rows_read,
			rows_written = excluded.rows_written, dirty_rows = excluded.dirty_rows, bytes = excluded.bytes,
			duration_ms = excluded.duration_ms, recorded_at = excluded.recorded_at`,
		m.InstanceID, m.Attempt, m.RowsRead, m.RowsWritten, m.DirtyRows, m.Bytes, m.DurationMs, ts(m.RecordedAt))
	return wrap(err, fmt.Sprintf("sync metrics of instance %d", m.InstanceID))
}

// GetSyncMetrics implements meta.SyncMetricsStore.
func (s *Store) GetSyncMetrics(ctx context.Context, instanceID int64) (*meta.SyncMetrics, error) {
	m := &meta.SyncMetrics{InstanceID: instanceID}
	err := s.q().QueryRow(ctx, `
		SELECT attempt, rows_read, rows_written, dirty_rows, bytes, duration_ms, recorded_at FROM sync_metrics WHERE instance_id = $1`,
		instanceID).Scan(&m.Attempt, &m.RowsRead, &m.RowsWritten, &m.DirtyRows, &m.Bytes, &m.DurationMs, &m.RecordedAt)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("sync metrics of instance %d", instanceID))
	}
	m.RecordedAt = m.RecordedAt.UTC()
	return m, nil
}
