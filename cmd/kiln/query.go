package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
	"github.com/kilnhq/kiln/secret"
	"github.com/kilnhq/kiln/sources"
)

// newQueryService builds the self-service query service with the limits an
// administrator sets in the server's environment:
// KILN_QUERY_MAX_CONCURRENT (per user), KILN_QUERY_MAX_ROWS (per query
// result) and KILN_QUERY_TIMEOUT (a Go duration such as 10m).
func newQueryService(store meta.Store, engines *sources.Registry, dataDir string, log *slog.Logger) (*query.Service, meta.QueryStore, error) {
	qs, ok := store.(meta.QueryStore)
	if !ok {
		return nil, nil, fmt.Errorf("the metadata store %T keeps no query history", store)
	}
	cfg := query.Config{SpoolDir: filepath.Join(dataDir, "query")}
	var err error
	if v := os.Getenv("KILN_QUERY_MAX_CONCURRENT"); v != "" {
		if cfg.MaxConcurrent, err = strconv.Atoi(v); err != nil || cfg.MaxConcurrent < 1 {
			return nil, nil, fmt.Errorf("KILN_QUERY_MAX_CONCURRENT must be a positive whole number, got %q", v)
		}
	}
	if v := os.Getenv("KILN_QUERY_MAX_ROWS"); v != "" {
		if cfg.MaxRows, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.MaxRows < 1 {
			return nil, nil, fmt.Errorf("KILN_QUERY_MAX_ROWS must be a positive whole number, got %q", v)
		}
	}
	if v := os.Getenv("KILN_QUERY_TIMEOUT"); v != "" {
		if cfg.Timeout, err = time.ParseDuration(v); err != nil || cfg.Timeout <= 0 {
			return nil, nil, fmt.Errorf("KILN_QUERY_TIMEOUT must be a duration such as 10m, got %q", v)
		}
	}
	svc, err := query.New(cfg, qs, engines, log)
	return svc, qs, err
}

// startDataAPI serves published data APIs under /data/v1.
func startDataAPI(ctx context.Context, srv *api.Server, store meta.Store, engines *sources.Registry, box *secret.Box, log *slog.Logger) error {
	ds, ok := store.(meta.DataAPIStore)
	if !ok {
		return fmt.Errorf("the metadata store %T keeps no data APIs", store)
	}
	svc := dataapi.New(dataapi.Config{}, store, ds, engines, box, log)
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("data apis: %w", err)
	}
	srv.Handle("GET /data/v1/{project}/{path...}", svc.Handler())
	return nil
}
