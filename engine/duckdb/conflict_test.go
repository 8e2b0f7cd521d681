//go:build cgo

package duckdb_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
)

// TestRunModel_ConcurrentCatalogChanges runs, at once on one warehouse
// file, models that create tables in the same new schema and several
// periods of one new target. DuckDB fails concurrent catalog changes with
// "Catalog write-write conflict" instead of waiting; every run must still
// succeed on its first call (the demo's first attempts failed this way).
func TestRunModel_ConcurrentCatalogChanges(t *testing.T) {
	e, err := duckdb.Open("warehouse", filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const tables, periods = 4, 4
	var wg sync.WaitGroup
	errs := make(chan error, tables*periods*2)
	for round := range 2 { // the second round writes existing tables again
		for i := range tables {
			for p := range periods {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mode := meta.WriteOverwritePartition
					if i%2 == 1 {
						mode = meta.WriteAppend
					}
					day := fmt.Sprintf("2024-03-%02d", p+1)
					_, err := e.RunModel(t.Context(), &engine.Model{
						Select: fmt.Sprintf("SELECT range AS id, '%s' AS dt FROM range(1000)", day),
						Target: engine.TableRef{Schema: "ods", Name: fmt.Sprintf("t%d", i)},
						Mode:   mode, Partition: "dt", Value: day,
					})
					if err != nil {
						errs <- fmt.Errorf("round %d, table t%d, %s: %w", round, i, day, err)
					}
				}()
			}
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range tables {
		var n, days int64
		q := fmt.Sprintf("SELECT count(*), count(DISTINCT dt) FROM ods.t%d", i)
		if err := e.DB().QueryRowContext(t.Context(), q).Scan(&n, &days); err != nil {
			t.Fatal(err)
		}
		if n != 1000*periods || days != periods {
			t.Errorf("ods.t%d: %d rows over %d periods, want %d over %d", i, n, days, 1000*periods, periods)
		}
	}
}
