//go:build !cgo

package duckdb

import "errors"

// Open fails: the DuckDB driver is C++ linked through cgo.
func Open(name, path string) (*Engine, error) {
	return nil, errors.New("kiln was built without cgo; the embedded DuckDB warehouse needs CGO_ENABLED=1")
}

// OpenShared fails like Open.
func OpenShared(name, path string) (*Engine, error) { return Open(name, path) }
