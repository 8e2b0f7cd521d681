package pgmeta

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta/metatest"
)

// dollars numbers a statement's ? placeholders as Postgres wants them.
func dollars(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The rollup triggers keep the summary equal to the summary computed from
// the instances over random histories (metatest.SummaryMatchesExact).
func TestSummaryMatchesExact(t *testing.T) {
	s, err := Open(t.Context(), testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	metatest.SummaryMatchesExact(t, s, metatest.RawSummaryDB{
		Exec: func(ctx context.Context, q string, args ...any) error {
			_, err := s.pool.Exec(ctx, dollars(q), args...)
			return err
		},
		QueryID: func(ctx context.Context, q string, args ...any) (id int64, err error) {
			err = s.pool.QueryRow(ctx, dollars(q), args...).Scan(&id)
			return id, err
		},
		Time:  func(t time.Time) any { return t },
		Exact: s.exactOpsSummary,
	}, 0, 150)
}
