package sqlitemeta

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta/metatest"
)

// The rollup triggers keep the summary equal to the summary computed from
// the instances over random histories (metatest.SummaryMatchesExact).
func TestSummaryMatchesExact(t *testing.T) {
	t.Parallel()
	for seed := range 2 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "k.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			metatest.SummaryMatchesExact(t, s, metatest.RawSummaryDB{
				Exec: func(ctx context.Context, q string, args ...any) error {
					_, err := s.wdb.ExecContext(ctx, q, args...)
					return err
				},
				QueryID: func(ctx context.Context, q string, args ...any) (id int64, err error) {
					err = s.wdb.QueryRowContext(ctx, q, args...).Scan(&id)
					return id, err
				},
				Time:  func(t time.Time) any { return fmtTime(t) },
				Exact: s.exactOpsSummary,
			}, uint64(seed), 200)
		})
	}
}
