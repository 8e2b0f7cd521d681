package metatest

import (
	"errors"

	"github.com/kilnhq/kiln/meta"
)

var syncMetricsCases = []testCase{{"PutGet", syncMetricsPutGet}}

// A run's metrics read back; a later attempt replaces them; an instance
// without any is ErrNotFound.
func syncMetricsPutGet(f *fixture) {
	ms, ok := f.s.(meta.SyncMetricsStore)
	if !ok {
		f.t.Skip("the store keeps no sync metrics")
	}
	if _, err := ms.GetSyncMetrics(f.ctx, 42); !errors.Is(err, meta.ErrNotFound) {
		f.t.Fatalf("metrics of an instance without any: %v, want ErrNotFound", err)
	}
	m := &meta.SyncMetrics{InstanceID: 42, Attempt: 1, RowsRead: 10, RowsWritten: 9, DirtyRows: 1, Bytes: 1234, DurationMs: 56}
	if err := ms.PutSyncMetrics(f.ctx, m); err != nil {
		f.t.Fatal(err)
	}
	m2 := &meta.SyncMetrics{InstanceID: 42, Attempt: 2, RowsRead: 20, RowsWritten: 20, Bytes: 99, DurationMs: 7}
	if err := ms.PutSyncMetrics(f.ctx, m2); err != nil {
		f.t.Fatal(err)
	}
	got, err := ms.GetSyncMetrics(f.ctx, 42)
	if err != nil {
		f.t.Fatal(err)
	}
	if *got != *m2 {
		f.t.Errorf("got %+v, want %+v", got, m2)
	}
}
