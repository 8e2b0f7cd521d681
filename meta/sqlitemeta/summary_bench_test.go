package sqlitemeta

import (
	"cmp"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta/metatest"
)

// BenchmarkOpsSummary times the ops summary over 30 days of 20,000
// instances a day (600,000 instances of 2,000 tasks, 40 owners, 2 tiers) for
// ranges of 1, 7 and 30 days, without grouping, by owner (top 10) and by
// tier. go test -run - -bench OpsSummary ./meta/sqlitemeta/
func BenchmarkOpsSummary(b *testing.B) {
	const days, perDay, tasks = 30, 20000, 2000
	s, err := Open(b.Context(), cmp.Or(os.Getenv("KILN_BENCH_DB"), filepath.Join(b.TempDir(), "meta.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	start := time.Now()
	p := metatest.SummaryBenchTasks(b, s, tasks)
	// Every task runs ten times a day; durations and CPU vary, one in 50
	// fails, one in 3 has a deadline.
	_, err = s.wdb.ExecContext(b.Context(), `
		WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ? - 1)
		INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, created_at,
			started_at, ended_at, duration_ms, cpu_seconds, deadline)
		SELECT ?, t.id, v.id, date('2024-01-01', '+' || (n.x / ?) || ' days'), n.x % 24,
			CASE WHEN n.x % 50 = 0 THEN 'failed' ELSE 'success' END, 'manual', '2024-01-01T00:00:00.000000Z',
			'2024-01-01T00:00:00.000000Z', '2024-01-01T00:10:00.000000Z', (n.x * 7919) % 600000 + 1, (n.x % 100) / 10.0,
			CASE WHEN n.x % 3 = 0 THEN '2024-01-01T00:0' || (n.x % 10) || ':00.000000Z' END
		FROM n JOIN tasks t ON t.id = (SELECT min(id) FROM tasks) + (n.x % ?) JOIN task_versions v ON v.task_id = t.id`,
		days*perDay, p.ID, perDay, tasks)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d instances in %s", days*perDay, time.Since(start).Round(time.Millisecond))
	metatest.BenchSummary(b, s, s.exactOpsSummary, p.ID)
}
