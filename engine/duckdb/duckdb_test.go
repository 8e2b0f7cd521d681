//go:build cgo

package duckdb_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kilnhq/kiln/engine"
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

	// What the suite wrote is still there after a reopen.
	e, err = duckdb.Open("warehouse", path)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tables, err := e.ListTables(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tables, engine.TableRef{Schema: "main", Name: "mg"}) {
		t.Errorf("after reopening, tables = %v, want main.mg among them", tables)
	}
}

func TestOpen_BadPath(t *testing.T) {
	if _, err := duckdb.Open("warehouse", filepath.Join(t.TempDir(), "missing", "dir", "w.duckdb")); err == nil {
		t.Error("opening a file in a missing directory: no error")
	}
}
