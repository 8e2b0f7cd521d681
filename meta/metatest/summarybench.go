package metatest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// SummaryBenchTasks makes the project "bench" with n SQL tasks of 40
// owners, one in five core, for a store's BenchmarkOpsSummary to seed
// instances of.
func SummaryBenchTasks(b *testing.B, s meta.Store, n int) *meta.Project {
	b.Helper()
	p, err := s.CreateProject(b.Context(), &meta.CreateProjectParams{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		tier := meta.TierNormal
		if i%5 == 0 {
			tier = meta.TierCore
		}
		if _, _, err := s.CreateTask(b.Context(), &meta.CreateTaskParams{ProjectID: p.ID, Hash: "h",
			Spec: meta.TaskSpec{Name: fmt.Sprintf("t%04d", i), Type: meta.TaskSQLScript, SQL: "SELECT 1",
				Owner: fmt.Sprintf("owner%02d", i%40), Tier: tier}}); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// BenchSummary runs the summary cases on a seeded store (ranges of 1, 7,
// 14 and 30 days from 2024-01-01; no grouping, by owner top 10, by tier),
// each also the way it was computed before the rollups (exact: one
// statement over the instances), checking that both give the same rows.
func BenchSummary(b *testing.B, s meta.SummaryStore, exact func(context.Context, *meta.SummaryParams) ([]*meta.SummaryRow, error), projectID int64) {
	for _, n := range []int{1, 7, 14, 30} {
		to := time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		for _, c := range []struct {
			name  string
			group meta.SummaryGroup
			top   int
		}{{"none", meta.GroupNone, 0}, {"owner_top10", meta.GroupOwner, 10}, {"tier", meta.GroupTier, 0}} {
			p := &meta.SummaryParams{ProjectIDs: []int64{projectID}, BizdateFrom: "2024-01-01", BizdateTo: to, GroupBy: c.group, Top: c.top}
			var got, want []*meta.SummaryRow
			ran := 0
			for _, way := range []string{"rollup", "exact"} {
				b.Run(fmt.Sprintf("days=%d/%s/%s", n, c.name, way), func(b *testing.B) {
					var out []*meta.SummaryRow
					var err error
					for b.Loop() {
						if way == "rollup" {
							out, err = s.OpsSummary(b.Context(), p)
						} else {
							out, err = exact(b.Context(), p)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/summary")
					b.ReportMetric(float64(len(out)), "rows")
					ran++
					if way == "rollup" {
						got = out
					} else {
						want = out
					}
				})
			}
			if err := SameSummary(got, want); ran == 2 && err != nil {
				b.Errorf("days=%d/%s: the rollup and the exact statement differ: %v", n, c.name, err)
			}
		}
	}
}
