// Command kiln is Kiln's single binary: `kiln server` runs the API and a
// worker; every other command is a client of the API. This file is the only
// composition root: it builds the stores, engines and services and hands
// them in.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones check the same on every machine

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/apply"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/pgmeta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/project"
	"github.com/kilnhq/kiln/runner"
	"github.com/kilnhq/kiln/scheduler"
	"github.com/kilnhq/kiln/secret"
	"github.com/kilnhq/kiln/sources"
	"github.com/kilnhq/kiln/webui"
	"github.com/kilnhq/kiln/worker"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := &cli.App{Serve: serve, Work: work, Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin}
	code := app.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func openStore(ctx context.Context, metaURL, dataDir string) (meta.Store, error) {
	if strings.HasPrefix(metaURL, "postgres://") || strings.HasPrefix(metaURL, "postgresql://") {
		return pgmeta.Open(ctx, metaURL)
	}
	path := strings.TrimPrefix(metaURL, "sqlite://")
	if path == "" {
		path = filepath.Join(dataDir, "meta.db")
	}
	return sqlitemeta.Open(ctx, path)
}

// serve builds every part of a server and runs it until ctx ends.
func serve(ctx context.Context, opt cli.ServerOptions, stderr io.Writer) error {
	start := time.Now()
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

	bs, err := api.EnsureAdmin(ctx, store, os.Getenv("KILN_ADMIN_PASSWORD"), os.Getenv("KILN_ADMIN_TOKEN"))
	if err != nil {
		return err
	}
	announce(stderr, dataDir, bs)
	folders := map[string]api.Folder{}
	if opt.ProjectDir != "" {
		f, name, err := applyAtStart(ctx, store, box, opt.ProjectDir, log)
		if err != nil {
			return err
		}
		if !opt.NoWriteBack {
			folders[name] = f
		}
	}

	run := runner.New(runner.Config{DataDir: dataDir, DefaultMemoryLimitMB: opt.MemoryLimitMB}, store, registry, logs, log)
	cdc, err := startCDC(ctx, run, store, registry, bus, dataDir, log)
	if err != nil {
		return err
	}
	defer cdc.Stop()
	wk := worker.New(worker.Config{Slots: opt.Slots}, store, run, bus, log)
	qualityStore, alertStore := addQuality(run, store, bus, log)
	querySvc, queryStore, err := newQueryService(ctx, store, registry, dataDir, log)
	if err != nil {
		return err
	}
	lineageSvc := newLineageService(ctx, store, bus, log)
	dataMap, stopDataMap, err := startDataMap(ctx, store, lineageSvc, registry, bus, opt.Lineage, log)
	if err != nil {
		return err
	}
	defer stopDataMap()
	dataAPISvc, err := startDataAPI(ctx, store, registry, box, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := api.New(api.Config{Addr: opt.Addr, DataDir: dataDir, Version: version, Folders: folders}, api.Deps{
		Store: store, Engines: registry, Logs: logs, Box: box, Bus: bus, Dispatcher: wk, Log: log, Registry: reg, Gatherer: reg,
		Query: querySvc, QueryStore: queryStore, Guard: queryGuard(queryStore), DataAPI: dataAPISvc, Lineage: lineageSvc, Catalog: dataMap,
		Quality: qualityStore, Alerts: alertStore, CDC: cdc,
		Ops: scheduler.NewOps(store, scheduler.NewPlanner(store, log)),
	})
	srv.Handle("/", webui.Handler())
	serveDataAPI(srv, dataAPISvc)
	if err := wk.Start(ctx); err != nil {
		return err
	}
	defer wk.Stop()
	listenQueue(ctx, store, wk, log)
	sched, err := scheduler.New(scheduler.Config{Bus: bus}, store, wk, log)
	if err != nil {
		return err
	}
	if err := sched.Start(ctx); err != nil {
		return err
	}
	defer sched.Stop()
	srv.SetScheduler(sched)
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("listen on %s: %w", opt.Addr, err)
	}
	defer srv.Stop()
	stopAlerts, err := startAlerts(ctx, store, alertStore, bus, "http://"+srv.Addr(), log)
	if err != nil {
		return err
	}
	defer stopAlerts()
	log.Info("kiln ready", "addr", "http://"+srv.Addr(), "data", dataDir, "startup_ms", time.Since(start).Milliseconds())
	go pruneLogs(ctx, logs, opt.LogRetention, log)
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

func announce(w io.Writer, dataDir string, bs *api.Bootstrap) {
	if bs.Token == "" {
		return
	}
	tokenPath := filepath.Join(dataDir, "admin.token")
	_ = os.WriteFile(tokenPath, []byte(bs.Token+"\n"), 0o600)
	if !bs.Created {
		return
	}
	fmt.Fprintf(w, "\n  Created admin user %q.\n", bs.User)
	if bs.Password != "" {
		fmt.Fprintf(w, "  Password: %s\n", bs.Password)
	}
	fmt.Fprintf(w, "  API token: %s\n  (also saved in %s; use it with: export KILN_TOKEN=$(cat %s))\n\n", bs.Token, tokenPath, tokenPath)
}

// applyAtStart applies the project folder dir and returns it as the folder
// API saves are written back into, with the project's name.
func applyAtStart(ctx context.Context, store meta.Store, box *secret.Box, dir string, log *slog.Logger) (api.Folder, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return api.Folder{}, "", err
	}
	p, problems := project.Load(os.DirFS(dir))
	if len(problems) > 0 {
		var lines []string
		for _, pr := range problems {
			pr.File = filepath.Join(dir, pr.File)
			lines = append(lines, pr.String())
		}
		return api.Folder{}, "", fmt.Errorf("project %s has %d problem(s):\n%s", dir, len(problems), strings.Join(lines, "\n"))
	}
	secrets := map[string]string{}
	for _, e := range p.Engines {
		if v, ok := os.LookupEnv(e.PasswordEnv); ok && e.PasswordEnv != "" {
			secrets[e.Name] = v
		}
	}
	admin, err := store.GetUser(ctx, "admin")
	if err != nil {
		return api.Folder{}, "", err
	}
	res, err := apply.Apply(ctx, store, box, p, apply.Options{Secrets: secrets, Author: "admin", Message: "applied at server start",
		OnCreate: func(ctx context.Context, tx meta.Store, proj *meta.Project) error {
			_, err := tx.SetMember(ctx, &meta.SetMemberParams{ProjectID: proj.ID, UserID: admin.ID, Role: meta.RoleOwner})
			return err
		}})
	if err != nil {
		return api.Folder{}, "", fmt.Errorf("apply %s: %w", dir, err)
	}
	log.Info("applied project", "project", res.Project, "added", len(res.Added), "changed", len(res.Changed), "removed", len(res.Removed), "unchanged", len(res.Unchanged))
	return api.Folder{Dir: abs, TaskDirs: p.TaskDirs}, p.Name, nil
}

func pruneLogs(ctx context.Context, logs *logstore.Store, days int, log *slog.Logger) {
	if days <= 0 {
		return
	}
	t := time.NewTicker(6 * time.Hour)
	defer t.Stop()
	for {
		n, err := logs.Prune(time.Now().AddDate(0, 0, -days))
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("prune logs", "err", err)
		} else if n > 0 {
			log.Info("pruned instance logs", "count", n, "retention_days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
