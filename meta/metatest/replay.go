package metatest

import (
	"context"
	"errors"

	"github.com/kilnhq/kiln/meta"
)

var errReplay = errors.New("replay")

// Replay runs fn through inTx twice, the first time rolled back: what the
// Postgres store does with a deadlock victim. A store wrapper's InTx that
// returns Replay(ctx, inner.InTx, fn) checks that a transaction body
// carries nothing over from a rolled-back attempt.
func Replay(ctx context.Context, inTx func(context.Context, func(meta.Store) error) error, fn func(meta.Store) error) error {
	err := inTx(ctx, func(tx meta.Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errReplay
	})
	if !errors.Is(err, errReplay) {
		return err
	}
	return inTx(ctx, fn)
}
