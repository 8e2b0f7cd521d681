package sqlitemeta_test

import (
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/metatest"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

func open(t *testing.T) meta.Store {
	t.Helper()
	s, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	metatest.Exercise(t, open)
}
