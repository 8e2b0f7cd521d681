package engine

import (
	"context"
	"sync"
	"time"
)

// QueryKiller is implemented by dialects whose driver, when a context is
// cancelled, only drops its connection and leaves the statement running on
// the server (MySQL). SQLEngine then runs each query on a pinned connection
// and, on cancel, kills the statement from a second connection.
type QueryKiller interface {
	// ConnectionIDSQL returns the current connection's server-side id.
	ConnectionIDSQL() string
	// KillQuerySQL stops the statement running on connection id.
	KillQuerySQL(id int64) string
}

// killTimeout bounds the kill statement itself.
const killTimeout = 10 * time.Second

func (e *SQLEngine) queryKillable(ctx context.Context, k QueryKiller, query string, args []any) (Rows, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := conn.QueryRowContext(ctx, k.ConnectionIDSQL()).Scan(&id); err != nil {
		conn.Close()
		return nil, err
	}
	stop := e.watchKill(ctx, k, id)
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	r, err := newSQLRows(rows, e.d)
	if err != nil {
		_ = rows.Close()
		stop()
		conn.Close()
		return nil, err
	}
	return &killableRows{sqlRows: r, release: func() { stop(); conn.Close() }}, nil
}

// watchKill kills the statement on connection id when ctx ends before the
// returned stop is called.
func (e *SQLEngine) watchKill(ctx context.Context, k QueryKiller, id int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
		case <-ctx.Done():
			kctx, cancel := context.WithTimeout(context.Background(), killTimeout)
			defer cancel()
			_, _ = e.db.ExecContext(kctx, k.KillQuerySQL(id))
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

type killableRows struct {
	*sqlRows
	release func()
}

func (r *killableRows) Close() error {
	err := r.sqlRows.Close()
	r.release()
	return err
}

var _ Rows = (*killableRows)(nil)
