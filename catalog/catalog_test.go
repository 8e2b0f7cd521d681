package catalog_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/secret"
	"github.com/kilnhq/kiln/sources"
)

type env struct {
	ctx   context.Context
	store *sqlitemeta.Store
	p     *meta.Project
	eng   engine.Engine
	c     *catalog.Crawler
	bus   *events.Bus
	lin   *lineage.Service
}

// setup opens a store, a project with a DuckDB data source "wh" holding
// dwd.orders, and a model task (owner alice, ttl 30 days) writing it.
func setup(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	store, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	box, err := secret.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg := sources.New(store, box, dir)
	t.Cleanup(func() { reg.Close() })
	p, err := store.CreateProject(ctx, &meta.CreateProjectParams{Name: "edu", DefaultEngine: "wh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpsertDataSource(ctx, &meta.UpsertDataSourceParams{ProjectID: p.ID, Name: "wh", Kind: "duckdb", DSN: "wh.duckdb"}); err != nil {
		t.Fatal(err)
	}
	eng, err := reg.Engine(ctx, p.ID, "wh")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE SCHEMA dwd", "CREATE SCHEMA ods",
		"CREATE TABLE ods.raw_orders (id INTEGER, phone VARCHAR, dt DATE)",
		"CREATE TABLE dwd.orders (id INTEGER, phone VARCHAR, dt DATE)",
		"COMMENT ON TABLE dwd.orders IS 'cleaned orders'",
		"COMMENT ON COLUMN dwd.orders.id IS 'order number'",
		"INSERT INTO dwd.orders VALUES (1, 'x', DATE '2024-01-01'), (2, 'y', DATE '2024-01-01'), (3, 'z', DATE '2024-03-01')",
		"CREATE TABLE main.scratch (a INTEGER)",
	} {
		if _, err := eng.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	spec := meta.TaskSpec{Name: "load_orders", Type: meta.TaskSQLModel, Target: "dwd.orders", Owner: "alice", Tags: []string{"ttl:30d", "core"},
		SQL: "SELECT id, phone, dt FROM ods.raw_orders", WriteMode: meta.WriteOverwritePartition, PartitionColumn: "dt"}
	if _, _, err := store.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: p.ID, Spec: spec, Hash: "h1"}); err != nil {
		t.Fatal(err)
	}
	lin := lineage.NewService(store, store)
	bus := events.New()
	c, err := catalog.New(catalog.Config{}, store, store, lin, reg, bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: ctx, store: store, p: p, eng: eng, c: c, bus: bus, lin: lin}
}

func (e *env) table(t *testing.T, name string) *meta.CatalogTable {
	t.Helper()
	tb, err := e.c.Find(e.ctx, e.p.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	if tb == nil {
		t.Fatalf("table %s is not in the catalog", name)
	}
	return tb
}

func TestCrawler_CrawlProject(t *testing.T) {
	e := setup(t)
	at := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	if err := e.lin.Store().AddTableWrite(e.ctx, &meta.TableWrite{ProjectID: e.p.ID, Table: "dwd.orders", InstanceID: 7, Bizdate: "2024-01-01", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.CrawlProject(e.ctx, e.p); err != nil {
		t.Fatal(err)
	}
	tb := e.table(t, "dwd.orders")
	if tb.Engine != "wh" || tb.Database != "wh" || tb.Kind != "table" || tb.Comment != "cleaned orders" || tb.Rows != 3 {
		t.Errorf("table = %+v", tb)
	}
	if tb.Owner != "alice" || tb.Layer != "dwd" || !slices.Equal(tb.Producers, []string{"load_orders"}) || !slices.Contains(tb.Tags, "core") {
		t.Errorf("owner %q layer %q producers %v tags %v", tb.Owner, tb.Layer, tb.Producers, tb.Tags)
	}
	if len(tb.Columns) != 3 || tb.Columns[0].Type != "INTEGER" || tb.Columns[0].Comment != "order number" || !tb.Columns[1].Sensitive || tb.Columns[0].Sensitive {
		t.Errorf("columns = %+v", tb.Columns)
	}
	if len(tb.Partitions) != 2 || tb.Partitions[0].Value != "2024-03-01" || tb.Partitions[1].Rows != 2 ||
		tb.Partitions[1].UpdatedAt == nil || !tb.Partitions[1].UpdatedAt.Equal(at) || tb.Partitions[0].UpdatedAt != nil {
		t.Errorf("partitions = %+v", tb.Partitions)
	}
	if e.table(t, "scratch").Layer != "" || e.table(t, "ods.raw_orders").Layer != "ods" {
		t.Error("layer from schema wrong")
	}

	// A second crawl records what changed in between.
	for _, q := range []string{"ALTER TABLE dwd.orders ADD COLUMN amount DOUBLE", "ALTER TABLE dwd.orders ALTER id TYPE BIGINT",
		"ALTER TABLE dwd.orders DROP COLUMN phone", "CREATE TABLE ods.fresh (x INTEGER)"} {
		if _, err := e.eng.Exec(e.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.CrawlProject(e.ctx, e.p); err != nil {
		t.Fatal(err)
	}
	ch, err := e.c.Changes(e.ctx, e.p.ID, "dwd.orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.Kind+" "+c.Column+" "+c.Detail)
	}
	slices.Sort(got)
	want := []string{"column_added amount DOUBLE", "column_removed phone VARCHAR", "type_changed id INTEGER -> BIGINT"}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %q, want %q", got, want)
	}
	if ch, _ := e.c.Changes(e.ctx, e.p.ID, "ods.fresh", 0); len(ch) != 1 || ch[0].Kind != "table_added" {
		t.Errorf("changes of a new table = %+v", ch)
	}
}

func TestCrawler_sensitiveFromProject(t *testing.T) {
	if !catalog.Sensitive("dwd.orders", "buyer_mobile", nil) || catalog.Sensitive("dwd.orders", "amount", nil) {
		t.Error("default patterns")
	}
	for _, entry := range []string{"amount", "orders.amount", "dwd.orders.amount", "*.amount", "dwd.*.amo*"} {
		if !catalog.Sensitive("dwd.orders", "amount", []string{entry}) {
			t.Errorf("entry %q does not mark dwd.orders.amount", entry)
		}
	}
	if catalog.Sensitive("dwd.orders", "amount", []string{"users.amount"}) {
		t.Error("an entry of another table marks this one")
	}
}

func TestCrawler_Start(t *testing.T) {
	e := setup(t)
	if err := e.c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer e.c.Stop()
	waitFor(t, func() bool { tb, _ := e.c.Find(e.ctx, e.p.ID, "dwd.orders"); return tb != nil })
	if _, err := e.eng.Exec(e.ctx, "CREATE TABLE dwd.later (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	// An instance finishing crawls its project again.
	e.bus.Publish(events.Event{Kind: events.InstanceFinished, Instance: meta.Instance{ProjectID: e.p.ID, State: meta.StateSuccess}})
	waitFor(t, func() bool { tb, _ := e.c.Find(e.ctx, e.p.ID, "dwd.later"); return tb != nil })
}

func TestNew_badInterval(t *testing.T) {
	if _, err := catalog.New(catalog.Config{Interval: time.Millisecond}, nil, nil, nil, nil, nil, nil); err == nil {
		t.Error("a 1ms interval is accepted")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCrawler_Lifecycle(t *testing.T) {
	e := setup(t)
	if err := e.c.CrawlProject(e.ctx, e.p); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddAudit(e.ctx, &meta.AuditEntry{UserName: "bob", ProjectID: e.p.ID, Action: "sql.run", Target: "wh", Detail: "SELECT count(*) FROM ods.raw_orders"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Lifecycle(e.ctx, e.p, 30, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// dwd.orders has a producer; ods.raw_orders was queried just now.
	if len(got) != 1 || got[0].Table != "main.scratch" {
		t.Errorf("candidates = %+v", got)
	}
	tb := e.table(t, "ods.raw_orders")
	uses, err := e.c.Uses(e.ctx, e.p, tb, time.Now().Add(-time.Hour))
	if err != nil || len(uses) != 1 || uses[0].User != "bob" {
		t.Errorf("uses = %+v, %v", uses, err)
	}
	if _, err := e.c.Lifecycle(e.ctx, e.p, 0, time.Now()); err == nil {
		t.Error("days 0 accepted")
	}
}

func TestCrawler_ExpiredPartitions(t *testing.T) {
	e := setup(t)
	if err := e.c.CrawlProject(e.ctx, e.p); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC) // ttl 30 days: 2024-01-01 expired, 2024-03-01 kept
	got, err := e.c.ExpiredPartitions(e.ctx, e.p, true, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value != "2024-01-01" || got[0].Rows != 2 || got[0].Dropped {
		t.Fatalf("dry run = %+v", got)
	}
	if e.table(t, "dwd.orders").Rows != 3 {
		t.Fatal("a dry run dropped rows")
	}
	got, err = e.c.ExpiredPartitions(e.ctx, e.p, false, now)
	if err != nil || len(got) != 1 || !got[0].Dropped {
		t.Fatalf("drop = %+v, %v", got, err)
	}
	if tb := e.table(t, "dwd.orders"); len(tb.Partitions) != 1 || tb.Partitions[0].Value != "2024-03-01" {
		t.Errorf("partitions after the drop = %+v", tb.Partitions)
	}
}
