package postgres_test

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/engine/enginetest"
	"github.com/kilnhq/kiln/engine/postgres"
	"github.com/kilnhq/kiln/internal/testenv"
)

func TestEngine(t *testing.T) {
	e, err := postgres.Open("crm_pg", testenv.Postgres(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if err := e.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	enginetest.Exercise(t, e)
}

func TestOpen_BadDSN(t *testing.T) {
	_, err := postgres.Open("crm_pg", "postgres://u:secret@host:notaport/db", "")
	if err == nil {
		t.Fatal("a DSN with a bad port: no error")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q repeats the password", err)
	}
}
