//go:build cgo

package duckdb_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/engine/duckdb"
)

func TestExport_Formats(t *testing.T) {
	e, err := duckdb.Open("warehouse", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	var buf bytes.Buffer
	n, err := e.Export(ctx, "SELECT i, 'r' || i AS s FROM range(3) t(i);", "csv", &buf)
	if err != nil || n != 3 || buf.String() != "i,s\n0,r0\n1,r1\n2,r2\n" {
		t.Fatalf("csv: %d %v %q", n, err, buf.String())
	}
	buf.Reset()
	if _, err := e.Export(ctx, "SELECT 1 AS a", "ndjson", &buf); err != nil || strings.TrimSpace(buf.String()) != `{"a":1}` {
		t.Fatalf("ndjson: %v %q", err, buf.String())
	}
	if _, err := e.Export(ctx, "SELECT 1", "xml", io.Discard); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Fatalf("bad format: %v", err)
	}
	if _, err := e.Export(ctx, "SELECT nope", "csv", io.Discard); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad sql: %v", err)
	}
}

// An export cancelled at any moment ends with the context's error, however
// the interrupt lands: DuckDB does not always close its end of the pipe
// when interrupted as COPY starts, and the reader must not wait for it.
func TestExport_CancelAtAnyMoment(t *testing.T) {
	e, err := duckdb.Open("warehouse", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := e.Export(ctx, "SELECT count(*) FROM range(100000000000) a", "ndjson", io.Discard)
			done <- err
		}()
		time.Sleep(time.Duration(i%10) * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("try %d: a cancelled export reported success", i)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("try %d: a cancelled export did not return", i)
		}
	}
	var buf bytes.Buffer
	if _, err := e.Export(context.Background(), "SELECT 42 AS n", "csv", &buf); err != nil || buf.String() != "n\n42\n" {
		t.Fatalf("after cancels: %v %q", err, buf.String())
	}
}
