package sqlitemeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.SyncMetricsStore = (*Store)(nil)

// PutSyncMetrics implements meta.SyncMetricsStore.
func (s *Store) PutSyncMetrics(ctx context.Context, m *meta.SyncMetrics) error {
	m.RecordedAt = now()
	_, err := s.w().ExecContext(ctx, `
		INSERT INTO sync_metrics (instance_id, attempt, rows_read, rows_written, dirty_rows, bytes, duration_ms, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id) DO UPDATE SET attempt = excluded.attempt, rows_read = excluded.rows_read,
			rows_written = excluded.rows_written, dirty_rows = excluded.dirty_rows, bytes = excluded.bytes,
			duration_ms = excluded.duration_ms, recorded_at = excluded.recorded_at`,
		m.InstanceID, m.Attempt, m.RowsRead, m.RowsWritten, m.DirtyRows, m.Bytes, m.DurationMs, fmtTime(m.RecordedAt))
	return wrap(err, fmt.Sprintf("sync metrics of instance %d", m.InstanceID))
}

// GetSyncMetrics implements meta.SyncMetricsStore.
func (s *Store) GetSyncMetrics(ctx context.Context, instanceID int64) (*meta.SyncMetrics, error) {
	m := &meta.SyncMetrics{InstanceID: instanceID}
	var at any
	err := s.r().QueryRowContext(ctx, `
		SELECT attempt, rows_read, rows_written, dirty_rows, bytes, duration_ms, recorded_at FROM sync_metrics WHERE instance_id = ?`,
		instanceID).Scan(&m.Attempt, &m.RowsRead, &m.RowsWritten, &m.DirtyRows, &m.Bytes, &m.DurationMs, &at)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("sync metrics of instance %d", instanceID))
	}
	if m.RecordedAt, err = parseTime(at); err != nil {
		return nil, err
	}
	return m, nil
}
