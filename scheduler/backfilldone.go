package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// ReportFinishedBackfills publishes backfill.finished once for every
// backfill whose instances all ended, and returns how many it reported.
func ReportFinishedBackfills(ctx context.Context, st meta.BackfillWatchStore, bus *events.Bus, now time.Time) (int, error) {
	done, err := st.FinishedBackfills(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range done {
		ok, err := st.MarkBackfillFinished(ctx, b.ID, now)
		if err != nil {
			return n, err
		}
		if !ok {
			continue // another process announced it
		}
		inst := meta.Instance{ProjectID: b.ProjectID, TaskName: strings.Join(b.Tasks, ","), Bizdate: b.From + ".." + b.To,
			State: meta.StateSuccess}
		if b.Failed > 0 {
			inst.State = meta.StateFailed
			inst.Error = fmt.Sprintf("backfill %d: %d instances succeeded, %d did not", b.ID, b.Succeeded, b.Failed)
		}
		bus.Publish(events.Event{Kind: events.BackfillFinished, Instance: inst})
		n++
	}
	return n, nil
}
