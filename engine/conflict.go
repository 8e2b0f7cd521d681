package engine

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// Conflicter is implemented by dialects whose concurrent transactions do
// not wait for each other's locks but fail on a write-write conflict at
// the statement or commit (DuckDB's optimistic concurrency control): two
// runs creating tables in one new schema at once, or two runs of one
// target creating it, fail one of them with "Catalog write-write
// conflict". SQLEngine then serialises the runs that change the catalog
// and retries a whole transaction that lost a conflict, which is safe
// because such a transaction rolled back entirely.
type Conflicter interface {
	// IsConflict reports whether err is a transaction conflict that a
	// fresh attempt of the same transaction may not meet again.
	IsConflict(err error) bool
}

// Retries of a transaction that lost a conflict; the backoff doubles from
// conflictBackoff with jitter up to conflictMaxBackoff, about 10 s in all.
const (
	conflictRetries    = 8
	conflictBackoff    = 20 * time.Millisecond
	conflictMaxBackoff = 2 * time.Second
)

// ddlLocks holds one lock per database pool (*sql.DB): the engines of one
// embedded warehouse share a pool, and catalog changes conflict there.
var ddlLocks sync.Map // *sql.DB → chan struct{} (a semaphore of 1)

func ddlLock(db *sql.DB) chan struct{} {
	l, _ := ddlLocks.LoadOrStore(db, make(chan struct{}, 1))
	return l.(chan struct{})
}

// retryConflicts runs one transaction, run, on a Conflicter dialect: under
// the engine's DDL lock when changesCatalog says it will create or alter
// something (checked before the transaction begins, since a transaction
// that began before another's catalog change committed conflicts with it
// anyway), and again, serialised, when it lost a conflict. Elsewhere it
// just runs it.
func (e *SQLEngine) retryConflicts(ctx context.Context, changesCatalog func() bool, run func() error) error {
	c, ok := e.d.(Conflicter)
	if !ok {
		return run()
	}
	lock := ddlLock(e.db)
	backoff := conflictBackoff
	for try := 0; ; try++ {
		serial := try > 0 || changesCatalog()
		if serial {
			select {
			case lock <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		err := run()
		if serial {
			<-lock
		}
		if err == nil || !c.IsConflict(err) || try >= conflictRetries || ctx.Err() != nil {
			return err
		}
		wait := backoff/2 + rand.N(backoff)
		backoff = min(backoff*2, conflictMaxBackoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// modelChangesCatalog reports whether a run of m will create its target
// or add the append period column, looked up outside any transaction. A
// failed look-up answers yes: serialising costs little, a conflict a retry.
func (e *SQLEngine) modelChangesCatalog(ctx context.Context, m *Model) bool {
	t, err := describe(ctx, e.db, e.d, m.Target)
	if err != nil {
		return true
	}
	return m.Mode == meta.WriteAppend && !hasColumn(t.Columns, AppendPeriodColumn)
}

// scriptChangesCatalog reports whether a script has a statement that may
// change the catalog (CREATE, ALTER, DROP, ...); a script is serialised
// with the other catalog changes when it has.
func scriptChangesCatalog(statements []string) bool {
	for _, s := range statements {
		if isDDL(trimStatement(s)) {
			return true
		}
	}
	return false
}

// isDDL reports whether a statement starts with a keyword that changes
// the catalog.
func isDDL(stmt string) bool {
	fields := strings.Fields(stmt)
	if len(fields) == 0 {
		return false
	}
	switch strings.ToUpper(fields[0]) {
	case "CREATE", "ALTER", "DROP", "COMMENT", "ATTACH", "DETACH", "IMPORT":
		return true
	}
	return false
}
