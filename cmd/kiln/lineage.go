package main

import (
	"context"
	"log/slog"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/dataapi"
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
	if ds, ok := store.(meta.DataAPIStore); ok {
		svc.SetLeaves(dataAPILeaves(ds))
	}
	go svc.Record(ctx, bus, log)
	return svc
}

// dataAPILeaves makes every online data API of a project a lineage leaf.
func dataAPILeaves(ds meta.DataAPIStore) lineage.LeafSource {
	return func(ctx context.Context, proj *meta.Project) ([]lineage.LeafSQL, error) {
		apis, err := ds.ListDataAPIs(ctx, proj.ID)
		if err != nil {
			return nil, err
		}
		var out []lineage.LeafSQL
		for _, a := range apis {
			if !a.Online {
				continue
			}
			eng, sql, err := dataapi.LineageSQL(a.Spec)
			if err != nil {
				continue
			}
			out = append(out, lineage.LeafSQL{Node: "api:/" + a.Path, Kind: "api", Engine: eng, SQL: sql})
		}
		return out, nil
	}
}

// startDataMap starts the catalog crawler and, when configured, the
// OpenLineage emitter; stop ends both. The crawler is nil when the store
// keeps no catalog.
func startDataMap(ctx context.Context, store meta.Store, lin *lineage.Service, engines catalog.Engines, bus *events.Bus,
	opt cli.LineageOptions, log *slog.Logger) (*catalog.Crawler, func(), error) {
	cs, ok := store.(meta.CatalogStore)
	if !ok || lin == nil {
		return nil, func() {}, nil
	}
	crawler, err := catalog.New(catalog.Config{Interval: opt.CatalogInterval}, store, cs, lin, engines, bus, log)
	if err != nil {
		return nil, nil, err
	}
	em, err := lineage.NewOLEmitter(lineage.OLConfig{URL: opt.OpenLineageURL, File: opt.OpenLineageFile}, lin, cs, log)
	if err != nil {
		return nil, nil, err
	}
	if err := crawler.Start(ctx); err != nil {
		return nil, nil, err
	}
	if err := em.Start(ctx, bus); err != nil {
		crawler.Stop()
		return nil, nil, err
	}
	return crawler, func() { em.Stop(); crawler.Stop() }, nil
}
