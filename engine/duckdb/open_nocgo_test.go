//go:build !cgo

package duckdb_test

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/engine/duckdb"
)

func TestOpen_WithoutCgo(t *testing.T) {
	_, err := duckdb.Open("warehouse", "")
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=1") {
		t.Errorf("Open without cgo: %v, want an error saying how to build with DuckDB", err)
	}
}
