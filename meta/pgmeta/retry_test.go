package pgmeta

import (
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
)

// Two transactions that lock two rows in opposite orders deadlock;
// Postgres aborts one, and write runs it again, so both succeed.
func TestWrite_RetriesADeadlockVictim(t *testing.T) {
	u, err := url.Parse(testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	schema := fmt.Sprintf("retry_%d", testenvUnique())
	if _, err := s.pool.Exec(t.Context(), "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".rows (id int PRIMARY KEY, n int); INSERT INTO "+schema+".rows VALUES (1, 0), (2, 0)"); err != nil {
		t.Fatal(err)
	}
	defer s.pool.Exec(t.Context(), "DROP SCHEMA "+schema+" CASCADE")
	var attempts atomic.Int32
	var held sync.WaitGroup
	held.Add(2)
	var once [2]sync.Once
	run := func(i, first, second int) error {
		return s.write(t.Context(), func(tx *Store) error {
			attempts.Add(1)
			if _, err := tx.tx.Exec(t.Context(), fmt.Sprintf("UPDATE %s.rows SET n = n + 1 WHERE id = %d", schema, first)); err != nil {
				return err
			}
			once[i].Do(func() { held.Done(); held.Wait() }) // both hold their first row
			_, err := tx.tx.Exec(t.Context(), fmt.Sprintf("UPDATE %s.rows SET n = n + 1 WHERE id = %d", schema, second))
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(0, 1, 2) }()
	go func() { errs <- run(1, 2, 1) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	if a := attempts.Load(); a < 3 {
		t.Fatalf("%d attempts: no deadlock happened, the test proves nothing", a)
	}
	var n1, n2 int
	if err := s.pool.QueryRow(t.Context(), "SELECT (SELECT n FROM "+schema+".rows WHERE id = 1), (SELECT n FROM "+schema+".rows WHERE id = 2)").Scan(&n1, &n2); err != nil {
		t.Fatal(err)
	}
	if n1 != 2 || n2 != 2 {
		t.Fatalf("rows after both: %d %d, want 2 2", n1, n2)
	}
}

func testenvUnique() int { return os.Getpid() }
