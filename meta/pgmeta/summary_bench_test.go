package pgmeta

import (
	"os"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta/metatest"
)

// BenchmarkOpsSummary is sqlitemeta's benchmark on Postgres: 30 days of
// 20,000 instances a day. go test -run - -bench OpsSummary ./meta/pgmeta/
func BenchmarkOpsSummary(b *testing.B) {
	const days, perDay, tasks = 30, 20000, 2000
	dsn := os.Getenv("KILN_BENCH_PG") // keep the seeded database to look at
	if dsn == "" {
		dsn = testenv.Postgres(b)
	}
	s, err := Open(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	start := time.Now()
	p := metatest.SummaryBenchTasks(b, s, tasks)
	_, err = s.pool.Exec(b.Context(), `
		INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, created_at,
			started_at, ended_at, duration_ms, cpu_seconds, deadline)
		SELECT $1, t.id, v.id, to_char(date '2024-01-01' + (n.x / $2)::int, 'YYYY-MM-DD'), n.x % 24,
			CASE WHEN n.x % 50 = 0 THEN 'failed' ELSE 'success' END, 'manual', now(),
			timestamptz '2024-01-01 00:00:00Z', timestamptz '2024-01-01 00:10:00Z', (n.x::bigint * 7919) % 600000 + 1, (n.x % 100) / 10.0,
			CASE WHEN n.x % 3 = 0 THEN timestamptz '2024-01-01 00:00:00Z' + (n.x % 10) * interval '1 minute' END
		FROM generate_series(0, $3 - 1) AS n(x)
		JOIN tasks t ON t.id = (SELECT min(id) FROM tasks) + (n.x % $4) JOIN task_versions v ON v.task_id = t.id`,
		p.ID, perDay, days*perDay, tasks)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d instances in %s", days*perDay, time.Since(start).Round(time.Millisecond))
	metatest.BenchSummary(b, s, s.exactOpsSummary, p.ID)
}
