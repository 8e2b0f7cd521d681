package main

import (
	"context"
	"log/slog"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// newLineageService builds the lineage service when the store keeps
// lineage, and starts recording the tables instances write.
func newLineageService(ctx context.Context, store meta.Store, bus *events.Bus, log *slog.Logger) *lineage.Service {
	ls, ok := store.(meta.LineageStore)
	if !ok {
		return nil
	}
	svc := lineage.NewService(store, ls)
	go svc.Record(ctx, bus, log)
	return svc
}
