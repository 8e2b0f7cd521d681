package query_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
)

func TestGuard_masksAndGrants(t *testing.T) {
	f := setup(t, openDuck(t), query.Config{})
	if _, err := f.eng.Exec(t.Context(), "CREATE TABLE users AS SELECT 1 AS id, '13812345678' AS mobile, 'ab' AS id_card, NULL AS email, 'x' AS note"); err != nil {
		t.Fatal(err)
	}
	f.project.Config.Sensitive = []string{"users.note"}
	g := &query.Guard{Grants: f.store}
	dev := &meta.User{Name: "dana"}
	p, err := g.Prepare(t.Context(), f.project, dev, meta.RoleDeveloper, f.eng, "SELECT * FROM users;")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Sensitive, ",") != "mobile,id_card,email,note" || strings.Join(p.Tables, ",") != "users" {
		t.Fatalf("prepared = %+v", p)
	}
	rows, err := f.eng.Query(t.Context(), p.SQL)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rows.Next()
	vals, _ := rows.Values()
	if vals[0] != int32(1) && vals[0] != int64(1) || vals[1] != "138****5678" || vals[2] != "****" || vals[3] != nil || vals[4] != "****" {
		t.Fatalf("masked row = %#v", vals)
	}
	// An owner keeps the values; the columns still count as touched.
	if p, err = g.Prepare(t.Context(), f.project, dev, meta.RoleOwner, f.eng, "SELECT mobile AS m FROM users"); err != nil || p.SQL != "SELECT mobile AS m FROM users" || len(p.Sensitive) != 0 {
		t.Fatalf("owner: %v %+v", err, p)
	}
	if _, err = g.Prepare(t.Context(), f.project, dev, meta.RoleDeveloper, f.eng, "SELECT mobile AS m FROM users"); !errors.Is(err, query.ErrSensitive) {
		t.Fatalf("renamed: %v", err)
	}
	// A string literal naming a column is not a use of it.
	if _, err = g.Prepare(t.Context(), f.project, dev, meta.RoleDeveloper, f.eng, "SELECT id, 'mobile' AS label FROM users"); err != nil {
		t.Fatalf("literal: %v", err)
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{query.RestrictedMarker, "erik"} {
		must(f.store.GrantTable(t.Context(), &meta.TableGrant{ProjectID: f.project.ID, UserName: u, Table: "main.users", CreatedAt: time.Now()}))
	}
	if _, err = g.Prepare(t.Context(), f.project, dev, meta.RoleDeveloper, f.eng, "SELECT id FROM Users"); !errors.Is(err, query.ErrTableForbidden) || !strings.Contains(err.Error(), "users") {
		t.Fatalf("not granted: %v", err)
	}
	if _, err = g.Prepare(t.Context(), f.project, &meta.User{Name: "erik"}, meta.RoleOperator, f.eng, "SELECT id FROM users"); err != nil {
		t.Fatalf("granted: %v", err)
	}
	if _, err = g.Prepare(t.Context(), f.project, &meta.User{Name: "root", Admin: true}, meta.RoleViewer, f.eng, "SELECT id FROM users"); err != nil {
		t.Fatalf("admin: %v", err)
	}
	// Unparseable SQL is refused while the project restricts tables.
	if _, err = g.Prepare(t.Context(), f.project, dev, meta.RoleDeveloper, f.eng, "SELEC id FROM users"); !errors.Is(err, query.ErrTableForbidden) {
		t.Fatalf("unparseable: %v", err)
	}
}

func TestService_PruneKeepsRecentAndRunning(t *testing.T) {
	f := setup(t, openDuck(t), query.Config{Retention: time.Hour})
	st, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT 1 AS x"))
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, st.ID)
	long, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT count(*) FROM range(100000000000) a"))
	if err != nil {
		t.Fatal(err)
	}
	spool := f.svc.Config().SpoolDir
	longPath := filepath.Join(spool, itoa(long.ID)+".ndjson")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(longPath); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the running query never created its spool")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, err := f.svc.Prune(time.Now()); err != nil || n != 0 {
		t.Fatalf("prune now: %d %v", n, err)
	}
	if _, err := f.svc.Page(t.Context(), st.ID, 1, 10); err != nil {
		t.Fatalf("recent result: %v", err)
	}
	if n, err := f.svc.Prune(time.Now().Add(2 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune later: %d %v", n, err)
	}
	if _, err := f.svc.Page(t.Context(), st.ID, 1, 10); err == nil || !strings.Contains(err.Error(), "no longer kept") {
		t.Fatalf("pruned result: %v", err)
	}
	if _, err := os.Stat(longPath); err != nil {
		t.Fatalf("the running query's spool went: %v", err)
	}
	if _, err := f.svc.Cancel(t.Context(), long.ID); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
