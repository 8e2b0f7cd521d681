package pgmeta_test

import (
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/metatest"
	"github.com/kilnhq/kiln/meta/pgmeta"
)

func open(t *testing.T) meta.Store {
	t.Helper()
	s, err := pgmeta.Open(t.Context(), testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	metatest.Exercise(t, open)
}
