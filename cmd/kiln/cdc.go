package main

import (
	"context"
	"log/slog"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// startCDC starts the CDC manager, which resumes the jobs that ran when
// the server stopped, and registers the sync executor that runs cdc syncs
// through it.
func startCDC(ctx context.Context, run *runner.Runner, store meta.Store, engines runner.Engines, bus *events.Bus, dataDir string, log *slog.Logger) (*integration.CDC, error) {
	cdc := integration.NewCDC(integration.CDCConfig{BaseDir: dataDir}, store, engines, bus, log)
	ms, _ := store.(meta.SyncMetricsStore)
	run.Register(meta.TaskSync, &integration.Executor{BaseDir: dataDir, CDC: cdc, Metrics: ms})
	if err := cdc.Start(ctx); err != nil {
		return nil, err
	}
	return cdc, nil
}
