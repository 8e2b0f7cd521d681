// Package sources opens the engine behind each data source of a project,
// decrypting its secret, and keeps the connections open for reuse. The
// embedded DuckDB warehouse is one engine shared by every project.
package sources

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/mysql"
	"github.com/kilnhq/kiln/engine/postgres"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/secret"
)

// WarehouseFile is the embedded warehouse's file in the data directory.
const WarehouseFile = "warehouse.duckdb"

// Kinds lists the data source kinds Kiln can open.
var Kinds = []string{"duckdb", "postgres", "mysql"}

// Registry opens and caches engines.
type Registry struct {
	store   meta.Store
	box     *secret.Box
	dataDir string

	mu       sync.Mutex
	open     map[key]*entry
	embedded engine.Engine
}

type key struct {
	project int64
	name    string
}

type entry struct {
	eng     engine.Engine
	updated time.Time
}

// New returns a Registry.
func New(store meta.Store, box *secret.Box, dataDir string) *Registry {
	return &Registry{store: store, box: box, dataDir: dataDir, open: map[key]*entry{}}
}

// Embedded returns the embedded warehouse, opening it on first use.
func (r *Registry) Embedded() (engine.Engine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.embeddedLocked()
}

func (r *Registry) embeddedLocked() (engine.Engine, error) {
	if r.embedded != nil {
		return r.embedded, nil
	}
	e, err := duckdb.OpenShared("warehouse", filepath.Join(r.dataDir, WarehouseFile))
	if err != nil {
		return nil, fmt.Errorf("open embedded warehouse: %w", err)
	}
	r.embedded = e
	return e, nil
}

// Engine returns the engine of a project's data source.
func (r *Registry) Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error) {
	ds, err := r.store.GetDataSource(ctx, projectID, name)
	if err != nil {
		return nil, fmt.Errorf("engine %q: %w", name, err)
	}
	k := key{projectID, name}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.open[k]; ok {
		if e.updated.Equal(ds.UpdatedAt) {
			return e.eng, nil
		}
		if _, shared := e.eng.(named); !shared {
			_ = e.eng.Close()
		}
		delete(r.open, k)
	}
	eng, err := r.openLocked(ds)
	if err != nil {
		return nil, err
	}
	r.open[k] = &entry{eng: eng, updated: ds.UpdatedAt}
	return eng, nil
}

func (r *Registry) openLocked(ds *meta.DataSource) (engine.Engine, error) {
	password, err := r.box.Open(ds.SecretEnc)
	if err != nil {
		return nil, fmt.Errorf("data source %q: %w", ds.Name, err)
	}
	var eng engine.Engine
	switch ds.Kind {
	case "duckdb":
		if ds.DSN == "" {
			w, err := r.embeddedLocked()
			if err != nil {
				return nil, err
			}
			return named{Engine: w, name: ds.Name}, nil
		}
		path := ds.DSN
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.dataDir, path)
		}
		eng, err = duckdb.OpenShared(ds.Name, path)
	case "postgres":
		eng, err = postgres.Open(ds.Name, ds.DSN, password)
	case "mysql":
		eng, err = mysql.Open(ds.Name, ds.DSN, password)
	default:
		return nil, fmt.Errorf("data source %q has unknown kind %q (want one of %v)", ds.Name, ds.Kind, Kinds)
	}
	if err != nil {
		return nil, fmt.Errorf("open data source %q: %w", ds.Name, err)
	}
	return eng, nil
}

// Close closes every open engine.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.open {
		if _, shared := e.eng.(named); !shared {
			_ = e.eng.Close()
		}
		delete(r.open, k)
	}
	if r.embedded != nil {
		err := r.embedded.Close()
		r.embedded = nil
		return err
	}
	return nil
}

// named is the shared embedded warehouse under a project's name for it.
type named struct {
	engine.Engine
	name string
}

func (n named) Name() string { return n.name }

// Unwrap gives the shared engine, for its optional capabilities.
func (n named) Unwrap() engine.Engine { return n.Engine }

// Close does nothing: the shared warehouse closes with the Registry.
func (n named) Close() error { return nil }
