package main

import (
	"context"
	"log/slog"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/quality"
	"github.com/kilnhq/kiln/runner"
)

// addQuality registers the quality checker with the runner and returns the
// quality and alert stores for the API (nil when the store has none).
func addQuality(run *runner.Runner, store meta.Store, bus *events.Bus, log *slog.Logger) (meta.QualityStore, meta.AlertStore) {
	qs, _ := store.(meta.QualityStore)
	as, _ := store.(meta.AlertStore)
	if qs != nil {
		run.AddChecker(quality.New(quality.Config{}, qs, bus, log))
	}
	return qs, as
}

// startAlerts follows the bus and sends alerts until ctx ends; baseURL
// makes links to instances.
func startAlerts(ctx context.Context, store meta.Store, as meta.AlertStore, bus *events.Bus, baseURL string, log *slog.Logger) (stop func(), err error) {
	if as == nil {
		return func() {}, nil
	}
	n := alert.New(alert.Config{BaseURL: baseURL}, store, as, bus, log)
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	return n.Stop, nil
}
