//go:build cgo

package duckdb_test

import (
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/enginetest"
)

func TestEngine_InMemory(t *testing.T) {
	e, err := duckdb.Open("warehouse", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if e.Name() != "warehouse" || e.Dialect() != "duckdb" {
		t.Errorf("name %q, dialect %q", e.Name(), e.Dialect())
	}
	enginetest.Exercise(t, e)
}

func TestEngine_File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	e, err := duckdb.Open("warehouse", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Suite", func(t *testing.T) { enginetest.Exercise(t, e) })
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// What the suite wrote is in the file. It is read through another
	// database that attaches it: opening the file again in this process
	// would go through DuckDB's instance cache, whose reopen can hang (see
	// OpenShared).
	mem, err := duckdb.Open("check", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	conn, err := mem.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "ATTACH '"+path+"' AS w (READ_ONLY)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRowContext(t.Context(), "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'w' AND schema_name = 'main' AND table_name = 'mg'").Scan(&n); err != nil || n != 1 {
		t.Errorf("after closing, main.mg in the file: %d, %v", n, err)
	}
}

func TestOpen_BadPath(t *testing.T) {
	if _, err := duckdb.Open("warehouse", filepath.Join(t.TempDir(), "missing", "dir", "w.duckdb")); err == nil {
		t.Error("opening a file in a missing directory: no error")
	}
}
