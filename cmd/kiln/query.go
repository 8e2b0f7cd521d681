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
// result), KILN_QUERY_TIMEOUT (a Go duration such as 10m) and
// KILN_QUERY_RETENTION (how long finished results are kept, default 24h;
// pruned hourly until ctx ends).
func newQueryService(ctx context.Context, store meta.Store, engines *sources.Registry, dataDir string, log *slog.Logger) (*query.Service, meta.QueryStore, error) {
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
	if v := os.Getenv("KILN_QUERY_RETENTION"); v != "" {
		if cfg.Retention, err = time.ParseDuration(v); err != nil || cfg.Retention <= 0 {
			return nil, nil, fmt.Errorf("KILN_QUERY_RETENTION must be a duration such as 24h, got %q", v)
		}
	}
	svc, err := query.New(cfg, qs, engines, log)
	if err != nil {
		return nil, nil, err
	}
	go svc.PruneLoop(ctx, time.Hour)
	return svc, qs, nil
}

// startDataAPI starts the data API service; the caller serves its handler
// under /data/v1 and hands it to the API server for publishing.
func startDataAPI(ctx context.Context, store meta.Store, engines *sources.Registry, box *secret.Box, log *slog.Logger) (*dataapi.Service, error) {
	ds, ok := store.(meta.DataAPIStore)
	if !ok {
		return nil, fmt.Errorf("the metadata store %T keeps no data APIs", store)
	}
	svc := dataapi.New(dataapi.Config{}, store, ds, engines, box, log)
	if err := svc.Start(ctx); err != nil {
		return nil, fmt.Errorf("data apis: %w", err)
	}
	return svc, nil
}

// queryGuard enforces table grants and sensitive-column masking.
func queryGuard(qs meta.QueryStore) api.QueryGuard { return &query.Guard{Grants: qs} }

// serveDataAPI routes /data/v1 to the data API service.
func serveDataAPI(srv *api.Server, svc *dataapi.Service) {
	srv.Handle("GET /data/v1/{project}/{path...}", svc.Handler())
}
