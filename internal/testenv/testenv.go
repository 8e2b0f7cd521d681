// Package testenv gives tests the database services of the machine they run
// on: each call creates a fresh, randomly named database for one test and
// drops it when the test ends. When a service is unreachable the test is
// skipped with a note on how to start it, or fails when CI=true, so that a
// CI run never passes by skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Where the services are unless the environment says otherwise.
const (
	// DefaultPostgres is the server URL used when KILN_TEST_PG is unset.
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	// DefaultMariaDB is the server DSN (go-sql-driver/mysql form) used when
	// KILN_TEST_MARIADB is unset.
	DefaultMariaDB = "root@tcp(127.0.0.1:3306)/"
)

// How to start the services on a development machine.
const (
	startPostgres = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
	startMariaDB  = "service mariadb start"
)

// connectTimeout bounds the reachability check, so a missing service costs
// a test seconds, not minutes.
const connectTimeout = 5 * time.Second

// Postgres creates an empty database on the Postgres server at $KILN_TEST_PG
// (DefaultPostgres when unset), drops it when t ends, and returns its URL.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("KILN_TEST_PG")
	if admin == "" {
		admin = DefaultPostgres
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testenv: KILN_TEST_PG must be a postgres:// URL, got %q", admin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		unreachable(t, "Postgres", u.Redacted(), err, startPostgres, "KILN_TEST_PG")
	}
	defer conn.Close(context.Background())

	name := dbName()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create Postgres database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("testenv: drop Postgres database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop Postgres database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// MariaDB creates an empty database on the MariaDB (or MySQL) server at
// $KILN_TEST_MARIADB (DefaultMariaDB when unset), drops it when t ends, and
// returns the server's DSN (go-sql-driver/mysql form, with the options it
// had) naming the new database.
func MariaDB(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("KILN_TEST_MARIADB")
	if admin == "" {
		admin = DefaultMariaDB
	}
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		t.Fatalf("testenv: KILN_TEST_MARIADB must be a go-sql-driver/mysql DSN such as %q: %v", DefaultMariaDB, err)
	}
	server := cfg.Clone()
	server.DBName = ""
	server.Timeout = connectTimeout
	db, err := sql.Open("mysql", server.FormatDSN())
	if err != nil {
		t.Fatalf("testenv: MariaDB: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		unreachable(t, "MariaDB", cfg.Addr, err, startMariaDB, "KILN_TEST_MARIADB")
	}

	name := dbName()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create MariaDB database %s: %v", name, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", server.FormatDSN())
		if err != nil {
			t.Errorf("testenv: drop MariaDB database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("testenv: drop MariaDB database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// unreachable fails t under CI and skips it elsewhere.
func unreachable(t testing.TB, service, addr string, err error, start, env string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not reachable at %s: %v\n\tstart it with: %s\n\tor point %s at another server",
		service, addr, err, start, env)
	if os.Getenv("CI") == "true" {
		t.Fatal("testenv: " + msg)
	}
	t.Skip("testenv: " + msg)
}

// dbName returns a fresh database name that needs no quoting.
func dbName() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails, by its documentation
	return "kiln_test_" + hex.EncodeToString(b)
}
