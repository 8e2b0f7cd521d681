package meta

import (
	"fmt"
	"slices"
	"time"
)

// Apply checks that the move p describes is allowed for in and makes it on
// in, so that every store moves instances the same way; a store calls it on
// the row it has locked and then writes the row back. The rules beyond the
// fields p carries:
//
//   - in must be in one of p.From (any state when From is empty), else
//     ErrConflict; a move CanTransition forbids is ErrConflict too.
//   - ResetRun clears start, end, duration, rows, rendered text, error and
//     CPU time before p's own fields are set.
//   - A move to queued stamps QueuedAt with now.
//   - A move to running starts a new attempt: Attempt+1, StartedAt now
//     unless p sets it, EndedAt cleared unless p sets it.
//   - ClearLease drops the worker and the lease.
//   - DurationMs follows StartedAt and EndedAt when both are set.
func (p *TransitionParams) Apply(in *Instance, now time.Time) error {
	if !p.To.Valid() {
		return fmt.Errorf("instance %d: unknown state %q", in.ID, p.To)
	}
	if len(p.From) > 0 && !slices.Contains(p.From, in.State) {
		return fmt.Errorf("instance %d is %s, not %v: %w", in.ID, in.State, p.From, ErrConflict)
	}
	if p.Worker != "" && (in.State != StateRunning || in.Worker != p.Worker) {
		return fmt.Errorf("instance %d is no longer held by worker %s: %w", in.ID, p.Worker, ErrConflict)
	}
	if p.LeaseExpiredBefore != nil && (in.LeaseUntil == nil || !in.LeaseUntil.Before(*p.LeaseExpiredBefore)) {
		return fmt.Errorf("instance %d: its lease was renewed: %w", in.ID, ErrConflict)
	}
	if !CanTransition(in.State, p.To) {
		return fmt.Errorf("instance %d: cannot move from %s to %s: %w", in.ID, in.State, p.To, ErrConflict)
	}
	in.State = p.To
	if p.ResetRun {
		in.StartedAt, in.EndedAt = nil, nil
		in.DurationMs, in.RowsWritten, in.CPUSeconds = 0, 0, 0
		in.Rendered, in.Error = "", ""
	}
	switch p.To {
	case StateQueued:
		in.QueuedAt = &now
	case StateRunning:
		in.Attempt++
		in.StartedAt, in.EndedAt = &now, nil
	}
	if p.StartedAt != nil {
		in.StartedAt = p.StartedAt
	}
	if p.EndedAt != nil {
		in.EndedAt = p.EndedAt
	}
	if p.RowsWritten != nil {
		in.RowsWritten = *p.RowsWritten
	}
	if p.Rendered != nil {
		in.Rendered = *p.Rendered
	}
	if p.Error != nil {
		in.Error = *p.Error
	}
	if p.CPUSeconds != nil {
		in.CPUSeconds = *p.CPUSeconds
	}
	if p.NotBefore != nil {
		if p.NotBefore.IsZero() {
			in.NotBefore = nil
		} else {
			nb := *p.NotBefore
			in.NotBefore = &nb
		}
	}
	if p.ClearLease {
		in.Worker, in.LeaseUntil = "", nil
	}
	if in.StartedAt != nil && in.EndedAt != nil {
		in.DurationMs = max(0, in.EndedAt.Sub(*in.StartedAt).Milliseconds())
	}
	return nil
}
