//go:build cgo

package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/engine/duckdb"
)

// A file opened with OpenShared stays open for the process: opening it again,
// after a Close or beside another handle, gives the same database and never
// goes back to DuckDB's instance cache (whose reopen can hang). Close folds
// the WAL into the file, as a real close would.
func TestOpenShared_SameDatabaseCheckpointedOnClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "warehouse.duckdb")
	a, err := duckdb.OpenShared("warehouse", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "CREATE TABLE t AS SELECT range AS x FROM range(1000)"); err != nil {
		t.Fatal(err)
	}
	// A relative path to the same file is the same database.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := duckdb.OpenShared("other", rel)
	if err != nil {
		t.Fatal(err)
	}
	if a.DB() != b.DB() || b.Name() != "other" {
		t.Fatal("a second OpenShared of the file opened another database")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.DB().QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("the other handle after Close: %d rows, %v", n, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + ".wal"); err == nil && st.Size() > 0 {
		t.Errorf("the WAL holds %d bytes after Close: not checkpointed", st.Size())
	}
	c, err := duckdb.OpenShared("warehouse", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.DB() != a.DB() {
		t.Fatal("opening a closed shared file again made a new database")
	}
	if err := c.DB().QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("after reopening: %d rows, %v", n, err)
	}
	if _, err := duckdb.OpenShared("warehouse", ""); err == nil {
		t.Fatal("OpenShared of memory worked")
	}
}
