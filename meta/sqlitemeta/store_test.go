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

// TestOpen_reopen opens a database twice at once and again later: the
// schema is created once, data survives, and both stores work side by side.
func TestOpen_reopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiln.db")
	a, err := sqlitemeta.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlitemeta.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateProject(t.Context(), &meta.CreateProjectParams{Name: "edu"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetProject(t.Context(), "edu"); err != nil {
		t.Errorf("second store does not see the first's project: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := sqlitemeta.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GetProject(t.Context(), "edu"); err != nil {
		t.Errorf("reopened store lost the project: %v", err)
	}
}

func TestOpen_badPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "x.db?mode=ro"} {
		if s, err := sqlitemeta.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
	if _, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "no", "such", "dir", "kiln.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
