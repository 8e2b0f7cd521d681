package migrate_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"

	"github.com/kilnhq/kiln/meta/migrate"
)

func setup(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func files(m map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range m {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name    string
		fsys    fstest.MapFS
		want    []string
		wantErr string
	}{
		{"sorted by number", files(map[string]string{"0010_c.sql": "", "0002_b.sql": "", "0001_a.sql": ""}), []string{"0001_a.sql", "0002_b.sql", "0010_c.sql"}, ""},
		{"bad name", files(map[string]string{"init.sql": ""}), nil, "0001_name.sql"},
		{"zero", files(map[string]string{"0000_a.sql": ""}), nil, "positive"},
		{"same version", files(map[string]string{"0001_a.sql": "", "1_b.sql": ""}), nil, "share version 1"},
		{"empty", fstest.MapFS{}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := migrate.Load(c.fsys)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("loaded %v, want %v", got, c.want)
			}
		})
	}
}

func TestUp(t *testing.T) {
	db := setup(t)
	v1 := files(map[string]string{
		"0001_init.sql": "CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);",
	})
	applied, err := migrate.Up(t.Context(), db, v1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(applied, []string{"0001_init.sql"}) {
		t.Errorf("applied %v", applied)
	}
	applied, err = migrate.Up(t.Context(), db, v1, nil)
	if err != nil || len(applied) != 0 {
		t.Errorf("second run applied %v (%v), want nothing", applied, err)
	}
	v2 := files(map[string]string{
		"0001_init.sql": "CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);",
		"0002_more.sql": "ALTER TABLE a ADD COLUMN z TEXT; INSERT INTO a (x, z) VALUES (1, 'one');",
	})
	applied, err = migrate.Up(t.Context(), db, v2, &migrate.Options{Lock: "SELECT 1"})
	if err != nil || !reflect.DeepEqual(applied, []string{"0002_more.sql"}) {
		t.Fatalf("upgrade applied %v (%v), want 0002 only", applied, err)
	}
	var z string
	if err := db.QueryRow("SELECT z FROM a").Scan(&z); err != nil || z != "one" {
		t.Errorf("after 0002: %q, %v", z, err)
	}
	// An older binary must not run against the newer schema.
	if _, err := migrate.Up(t.Context(), db, v1, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("old binary on a new schema: %v, want a refusal", err)
	}
}

func TestUp_failureRollsBack(t *testing.T) {
	db := setup(t)
	fsys := files(map[string]string{
		"0001_ok.sql":  "CREATE TABLE a (x INTEGER);",
		"0002_bad.sql": "CREATE TABLE b (y TEXT); THIS IS NOT SQL;",
	})
	_, err := migrate.Up(t.Context(), db, fsys, nil)
	if err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("err = %v, want one naming 0002_bad.sql", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b', 'schema_migrations')").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a failed run left %d tables, want none", n)
	}
}

func TestUp_noMigrations(t *testing.T) {
	_, err := migrate.Up(t.Context(), setup(t), fstest.MapFS{}, nil)
	if !errors.Is(err, migrate.ErrNoMigrations) {
		t.Errorf("err = %v, want ErrNoMigrations", err)
	}
}
