package integration

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

// A warehouse whose transaction failed does not hand its connection back
// to the pool: a cancelled statement may have left it inside a transaction,
// and the pool's next user would fail with "cannot start a transaction
// within a transaction". A connection-scoped variable tells whether the next
// user got the same connection.
func TestWarehouse_FailedTransactionDiscardsConnection(t *testing.T) {
	e := newEnv(t)
	db := e.wh.DB()
	ctx := context.Background()
	mark := func(w *warehouse) {
		t.Helper()
		if _, err := w.conn.ExecContext(ctx, "SET VARIABLE kiln_conn_mark = 1"); err != nil {
			t.Fatal(err)
		}
	}
	marked := func() bool {
		t.Helper()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var v sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT getvariable('kiln_conn_mark')").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v.Valid {
			// Unmark it, so that the next look starts clean.
			if _, err := conn.ExecContext(ctx, "RESET VARIABLE kiln_conn_mark"); err != nil {
				t.Fatal(err)
			}
		}
		return v.Valid
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.SetMaxOpenConns(0) })

	// A warehouse whose transactions all committed gives its connection back.
	w, err := openWarehouse(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	mark(w)
	if err := w.tx(ctx, func() error { return w.saveState(ctx, "k", &syncState{Rows: 1}) }); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !marked() {
		t.Fatal("a clean warehouse connection was not reused")
	}

	// One whose transaction failed is closed instead.
	w, err = openWarehouse(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	mark(w)
	boom := errors.New("boom")
	if err := w.tx(ctx, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("tx: %v", err)
	}
	w.Close()
	if marked() {
		t.Fatal("the connection of a failed transaction went back to the pool")
	}
	// The pool still works, and the committed state is there.
	w, err = openWarehouse(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st, err := w.loadState(ctx, "k")
	if err != nil || st.Rows != 1 {
		t.Fatalf("state after a discarded connection: %+v %v", st, err)
	}
}
