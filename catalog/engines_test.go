package catalog_test

import (
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/secret"
	"github.com/kilnhq/kiln/sources"
)

// TestCrawler_engines crawls a Postgres and a MariaDB data source: the
// engine's own row estimate, size, column comments and database.
func TestCrawler_engines(t *testing.T) {
	for _, tc := range []struct {
		kind, dsn string
		setup     []string
		table     string
	}{
		{"postgres", testenv.Postgres(t), []string{
			"CREATE TABLE orders (id int, phone text)", "COMMENT ON COLUMN orders.id IS 'order number'",
			"INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')", "ANALYZE orders"}, "public.orders"},
		{"mysql", testenv.MariaDB(t), []string{
			"CREATE TABLE orders (id int COMMENT 'order number', phone text)",
			"INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')", "ANALYZE TABLE orders"}, "orders"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			store, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			box, err := secret.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			reg := sources.New(store, box, dir)
			defer reg.Close()
			p, err := store.CreateProject(ctx, &meta.CreateProjectParams{Name: "crm"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.UpsertDataSource(ctx, &meta.UpsertDataSourceParams{ProjectID: p.ID, Name: "src", Kind: tc.kind, DSN: tc.dsn}); err != nil {
				t.Fatal(err)
			}
			eng, err := reg.Engine(ctx, p.ID, "src")
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.setup {
				if _, err := eng.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			c, err := catalog.New(catalog.Config{}, store, store, nil, reg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CrawlProject(ctx, p); err != nil {
				t.Fatal(err)
			}
			tb, err := c.Find(ctx, p.ID, tc.table)
			if err != nil || tb == nil {
				t.Fatalf("find %s: %v, %v", tc.table, tb, err)
			}
			if tb.Database == "" || tb.SizeBytes <= 0 || tb.Rows < 0 || len(tb.Columns) != 2 ||
				tb.Columns[0].Comment != "order number" || !tb.Columns[1].Sensitive {
				t.Errorf("table = %+v", tb)
			}
			if tc.kind == "postgres" && tb.Rows != 3 {
				t.Errorf("rows after ANALYZE = %d, want 3", tb.Rows)
			}
		})
	}
}
