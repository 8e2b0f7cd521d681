package integration

import (
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
)

func listTables(t *testing.T, db *sql.DB, q string) []string {
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// Every Sakila table goes into DuckDB in full mode, then again in
// incremental mode, and each copy matches its source column by column.
func TestSakilaFullAndIncremental(t *testing.T) {
	smallSubBatches(t, 300) // chunks of 1000 and 700 rows commit after several batches
	dsn, db := mariaDB(t)
	loadSakila(t, dsn)
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	tables := listTables(t, db, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`)
	if len(tables) < 16 {
		t.Fatalf("sakila has %d tables: %v", len(tables), tables)
	}
	for _, tbl := range tables {
		m := e.sync("full_"+tbl, &meta.SyncSpec{Mode: meta.SyncFull, ChunkRows: 1000,
			Source: meta.SyncSource{Engine: "shop", Table: tbl}, Target: meta.SyncTarget{Table: "full_" + tbl}})
		if m.Read != m.Written || m.Dirty != 0 {
			t.Errorf("%s: %+v", tbl, m)
		}
		compareTable(t, e, db, "mysql", "`"+tbl+"`", "full_"+tbl)
		// Sakila's tables all carry last_update; an incremental sync of each
		// (some have composite keys) must copy the same rows.
		if tbl == "film_text" { // no cursor column
			continue
		}
		e.sync("inc_"+tbl, &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "last_update", Lookback: "1h", ChunkRows: 700,
			Source: meta.SyncSource{Engine: "shop", Table: tbl}, Target: meta.SyncTarget{Table: "inc_" + tbl}})
		compareTable(t, e, db, "mysql", "`"+tbl+"`", "inc_"+tbl)
	}

	// New and changed rows arrive with a later cursor; a rerun merges them
	// (the lookback re-reads the last hour without duplicating).
	for _, s := range []string{
		"UPDATE payment SET amount = amount + 1, last_update = last_update + INTERVAL 1 DAY WHERE payment_id <= 10",
		"INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date, last_update) VALUES (1, 1, NULL, 12.34, NOW(), NOW() + INTERVAL 2 DAY)",
	} {
		if _, err := db.ExecContext(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	inc := &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "last_update", ChunkRows: 700,
		Source: meta.SyncSource{Engine: "shop", Table: "payment"}, Target: meta.SyncTarget{Table: "inc_payment"}}
	m := e.sync("inc_payment", inc)
	if m.Read != 11 {
		t.Errorf("incremental rerun read %d rows, want the 11 changed", m.Read)
	}
	compareTable(t, e, db, "mysql", "payment", "inc_payment")
	// A lookback re-reads rows already loaded; merging on the key keeps one copy.
	inc.Lookback = "72h"
	if m := e.sync("inc_payment", inc); m.Read != 1 {
		t.Errorf("a rerun with nothing new read %d rows through the lookback, want the newest 1", m.Read)
	}
	compareTable(t, e, db, "mysql", "payment", "inc_payment")
}

// Every Pagila table (Postgres types: arrays, enums, domains, tsvector,
// bytea, uuid, a partitioned table) goes into DuckDB and matches.
func TestPagilaFull(t *testing.T) {
	url := testenv.Postgres(t)
	loadPagila(t, url, 300)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t)
	e.addPostgres("crm", url)
	tables := listTables(t, db, `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE nspname = 'public' AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname`)
	for _, tbl := range tables {
		m := e.sync("pg_"+tbl, &meta.SyncSpec{Mode: meta.SyncFull, ChunkRows: 128,
			Source: meta.SyncSource{Engine: "crm", Table: "public." + tbl}, Target: meta.SyncTarget{Table: "pg_" + tbl}})
		if m.Read != 300 || m.Written != 300 {
			t.Errorf("%s: %+v", tbl, m)
		}
		compareTable(t, e, db, "postgres", `public."`+tbl+`"`, "pg_"+tbl)
	}
	e.sync("pg_inc_rental", &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "last_update", ChunkRows: 50,
		Source: meta.SyncSource{Engine: "crm", Table: "rental"}, Target: meta.SyncTarget{Table: "pg_inc_rental"}})
	compareTable(t, e, db, "postgres", "rental", "pg_inc_rental")
}
