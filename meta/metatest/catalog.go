package metatest

import (
	"github.com/kilnhq/kiln/meta"
)

// catalogCases are the CatalogStore sub-tests.
var catalogCases = []testCase{{"CatalogTables", catalogTables}, {"CatalogChanges", catalogChanges}}

func (f *fixture) catalogStore() meta.CatalogStore {
	cs, ok := f.s.(meta.CatalogStore)
	if !ok {
		f.t.Fatal("store does not implement meta.CatalogStore")
	}
	return cs
}

func catalogTables(f *fixture) {
	t, cs, p := f.t, f.catalogStore(), f.project("edu")
	a := &meta.CatalogTable{Engine: "warehouse", Schema: "dw", Name: "orders", Kind: "table", Rows: 10, SizeBytes: -1,
		Columns: []meta.CatalogColumn{{Name: "phone", Type: "VARCHAR", Comment: "buyer phone", Sensitive: true}}, Tags: []string{"core"}}
	b := &meta.CatalogTable{Engine: "warehouse", Schema: "ods", Name: "raw", Kind: "view"}
	must(t, cs.ReplaceCatalogTables(f.ctx, p.ID, "warehouse", []*meta.CatalogTable{a, b}))
	must(t, cs.ReplaceCatalogTables(f.ctx, p.ID, "crm", []*meta.CatalogTable{{Engine: "crm", Schema: "public", Name: "users"}}))
	got, err := cs.ListCatalogTables(f.ctx, p.ID)
	must(t, err)
	if len(got) != 3 || got[0].Engine != "crm" || got[1].FullName() != "dw.orders" || got[1].Columns[0].Comment != "buyer phone" ||
		!got[1].Columns[0].Sensitive || got[1].Rows != 10 || got[1].CrawledAt.IsZero() {
		t.Fatalf("catalog reads back as %+v", got)
	}
	// A new crawl of one engine replaces its tables and keeps the others'.
	must(t, cs.ReplaceCatalogTables(f.ctx, p.ID, "warehouse", []*meta.CatalogTable{b}))
	got, err = cs.ListCatalogTables(f.ctx, p.ID)
	must(t, err)
	if len(got) != 2 || got[1].FullName() != "ods.raw" {
		t.Errorf("after recrawl: %+v", got)
	}
}

func catalogChanges(f *fixture) {
	t, cs, p := f.t, f.catalogStore(), f.project("edu")
	must(t, cs.AddCatalogChange(f.ctx, &meta.CatalogChange{ProjectID: p.ID, Engine: "w", Table: "dw.a", Kind: "table_added"}))
	must(t, cs.AddCatalogChange(f.ctx, &meta.CatalogChange{ProjectID: p.ID, Engine: "w", Table: "dw.a", Kind: "type_changed", Column: "x", Detail: "INTEGER -> BIGINT"}))
	must(t, cs.AddCatalogChange(f.ctx, &meta.CatalogChange{ProjectID: p.ID, Engine: "w", Table: "dw.b", Kind: "table_added"}))
	got, err := cs.ListCatalogChanges(f.ctx, p.ID, "dw.a", 0)
	must(t, err)
	if len(got) != 2 || got[0].Kind != "type_changed" || got[0].Detail != "INTEGER -> BIGINT" || got[0].At.IsZero() || got[1].ID == 0 {
		t.Errorf("changes of dw.a = %+v", got)
	}
}
