//go:build cgo

package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/kilnhq/kiln/engine"
)

// DuckDB keeps one database instance per file in a process-wide cache, and
// DuckDB 1.4.5 can hang a reopen there for good: when a closed file's
// instance outlives its last handle, duckdb_get_or_create_from_cache waits
// for it in a busy loop that holds the cache's lock, so every later open of
// any file in the process hangs too (duckdb/duckdb#25965). A server stopped
// and started again in one process on the same data directory hit it about
// once in 150 restarts, with no connection, statement or result of ours
// left open.
//
// OpenShared avoids the reopen: a file it opened stays open until the
// process exits, and opening it again returns the same database. Close on
// such an engine checkpoints the file (the WAL is folded in, as a real close
// would) and keeps it open. The server's warehouse and DuckDB data sources
// use it; every file is opened once per process and kept.
var shared = struct {
	sync.Mutex
	dbs map[string]*sql.DB // by absolute path
}{dbs: map[string]*sql.DB{}}

// checkpointTimeout bounds the checkpoint of a shared file's Close.
const checkpointTimeout = time.Minute

// OpenShared opens the DuckDB file at path once per process (see shared);
// name is the data source name the caller gives it.
func OpenShared(name, path string) (*Engine, error) {
	if path == "" {
		return nil, fmt.Errorf("open duckdb %s: a shared database needs a file", name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	shared.Lock()
	defer shared.Unlock()
	db := shared.dbs[abs]
	if db == nil {
		connector, err := duckdb.NewConnector(abs, nil)
		if err != nil {
			return nil, fmt.Errorf("open duckdb %s: %w", abs, err)
		}
		db = sql.OpenDB(connector)
		shared.dbs[abs] = db
	}
	return &Engine{SQLEngine: engine.NewSQLEngine(name, db, dialect{}), kept: true}, nil
}

// Close implements engine.Engine: a shared file is checkpointed and kept
// open, any other database closed.
func (e *Engine) Close() error {
	if !e.kept {
		return e.SQLEngine.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
	defer cancel()
	// Another handle on the file may be in a transaction; its own Close
	// checkpoints later.
	_, _ = e.DB().ExecContext(ctx, "CHECKPOINT")
	return nil
}
