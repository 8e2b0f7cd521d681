package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/pgmeta"
	"github.com/kilnhq/kiln/runner"
	"github.com/kilnhq/kiln/secret"
	"github.com/kilnhq/kiln/sources"
	"github.com/kilnhq/kiln/worker"
)

// work is `kiln worker`: it claims and runs instances from the metadata
// store until ctx ends, with no API and no planning. Several run against
// one Postgres store; instances' logs stay in each worker's data directory.
func work(ctx context.Context, opt cli.ServerOptions, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	dataDir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	store, err := openStore(ctx, opt.MetaURL, dataDir)
	if err != nil {
		return fmt.Errorf("open metadata store: %w", err)
	}
	defer store.Close()
	box, err := secret.Load(dataDir)
	if err != nil {
		return err
	}
	logs, err := logstore.New(filepath.Join(dataDir, "logs"))
	if err != nil {
		return err
	}
	registry := sources.New(store, box, dataDir)
	defer registry.Close()
	bus := events.New()
	run := runner.New(runner.Config{DataDir: dataDir, DefaultMemoryLimitMB: opt.MemoryLimitMB}, store, registry, logs, log)
	ms, _ := store.(meta.SyncMetricsStore)
	run.Register(meta.TaskSync, &integration.Executor{BaseDir: dataDir, Metrics: ms})
	addQuality(run, store, bus, log)
	wk := worker.New(worker.Config{Slots: opt.Slots}, store, run, bus, log)
	if err := wk.Start(ctx); err != nil {
		return err
	}
	defer wk.Stop()
	listenQueue(ctx, store, wk, log)
	log.Info("kiln worker ready", "worker", wk.Name(), "slots", opt.Slots, "data", dataDir)
	<-ctx.Done()
	log.Info("worker shutting down")
	return nil
}

// listenQueue wakes the worker as soon as any process queues instances,
// when the store can tell (Postgres LISTEN); polling stays the fallback.
func listenQueue(ctx context.Context, store meta.Store, wk *worker.Worker, log *slog.Logger) {
	pg, ok := store.(*pgmeta.Store)
	if !ok {
		return
	}
	go pg.Listen(ctx, wk.Wake, func(err error) { log.Warn("listen for queued instances", "err", err) })
}
