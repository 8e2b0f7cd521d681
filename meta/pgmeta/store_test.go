package pgmeta_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/metatest"
	"github.com/kilnhq/kiln/meta/pgmeta"
)

// TestStore runs the conformance suite in a fresh database. Each sub-test's
// store lives in a schema of its own, chosen with search_path, because a
// database per sub-test makes the suite several times slower; commits do
// not wait for the disk, which no test here needs.
func TestStore(t *testing.T) {
	dbURL := withParam(t, testenv.Postgres(t), "synchronous_commit", "off")
	var n atomic.Int64
	metatest.Exercise(t, func(t *testing.T) meta.Store {
		schema := fmt.Sprintf("store_%d", n.Add(1))
		conn, err := pgx.Connect(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		return open(t, withParam(t, dbURL, "search_path", schema))
	})
}

func open(t *testing.T, dbURL string) *pgmeta.Store {
	t.Helper()
	s, err := pgmeta.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func withParam(t *testing.T, dbURL, key, value string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestOpen_concurrent opens one new database from several goroutines at
// once: the migrations must run once, the others waiting for them.
func TestOpen_concurrent(t *testing.T) {
	dbURL := testenv.Postgres(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := pgmeta.Open(t.Context(), dbURL)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var applied int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", applied, len(files))
	}
}
