package testenv_test

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/kilnhq/kiln/internal/testenv"
)

func TestPostgres(t *testing.T) {
	url := testenv.Postgres(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var name string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "kiln_test_") {
		t.Errorf("connected to %q, want a fresh kiln_test_ database", name)
	}
}

func TestMariaDB(t *testing.T) {
	dsn := testenv.MariaDB(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRowContext(t.Context(), "SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "kiln_test_") {
		t.Errorf("connected to %q, want a fresh kiln_test_ database", name)
	}
}

func TestDatabasesAreFresh(t *testing.T) {
	a, b := testenv.Postgres(t), testenv.Postgres(t)
	if a == b {
		t.Errorf("two calls returned the same database %s", a)
	}
}
