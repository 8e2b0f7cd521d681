package pgmeta

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen calls wake whenever any process queues instances (NOTIFY on
// QueueChannel), until ctx ends. It holds a dedicated connection outside
// the pool (a LISTEN needs one session for good) and reconnects after
// errors; workers keep polling as a fallback, so a lost notification only
// delays work until the next poll.
func (s *Store) Listen(ctx context.Context, wake func(), onErr func(error)) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, wake func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+QueueChannel); err != nil {
		return err
	}
	wake() // anything queued while we were not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}
