package query_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/mysql"
	"github.com/kilnhq/kiln/engine/postgres"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/query"
)

// oneEngine serves the same engine under any name.
type oneEngine struct{ e engine.Engine }

func (o oneEngine) Engine(context.Context, int64, string) (engine.Engine, error) { return o.e, nil }

type fixture struct {
	svc     *query.Service
	store   *sqlitemeta.Store
	project *meta.Project
	eng     engine.Engine
}

func setup(t *testing.T, eng engine.Engine, cfg query.Config) *fixture {
	t.Helper()
	store, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	p, err := store.CreateProject(t.Context(), &meta.CreateProjectParams{Name: "edu", DefaultEngine: "warehouse"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SpoolDir = t.TempDir()
	svc, err := query.New(cfg, store, oneEngine{eng}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: store, project: p, eng: eng}
}

func openDuck(t *testing.T) engine.Engine {
	t.Helper()
	e, err := duckdb.Open("warehouse", filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func (f *fixture) req(user, sql string) *query.Request {
	return &query.Request{Project: f.project, User: user, SQL: sql}
}

func (f *fixture) wait(t *testing.T, id int64) *query.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	st, err := f.svc.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status == meta.QueryRunning {
		t.Fatalf("query %d still running after 60 s", id)
	}
	return st
}

func TestService_SubmitPageHistory(t *testing.T) {
	f := setup(t, openDuck(t), query.Config{MaxRows: 1000, MaxPageSize: 50})
	st, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT i, 'n' || i AS name, i % 2 = 0 AS even FROM range(1, 1201) t(i) ORDER BY i"))
	if err != nil {
		t.Fatal(err)
	}
	st = f.wait(t, st.ID)
	if st.Status != meta.QuerySucceeded || st.Rows != 1000 || !st.Truncated {
		t.Fatalf("status = %+v, want succeeded with 1000 rows, truncated", st)
	}
	page, err := f.svc.Page(t.Context(), st.ID, 7, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 50 || page.Total != 1000 || len(page.Columns) != 3 || page.Columns[1].Name != "name" {
		t.Fatalf("page = %+v", page)
	}
	var first []any
	if err := json.Unmarshal(page.Rows[0], &first); err != nil {
		t.Fatal(err)
	}
	if first[0] != float64(301) || first[1] != "n301" || first[2] != false {
		t.Errorf("first row of page 7 = %v, want [301 n301 false]", first)
	}
	last, err := f.svc.Page(t.Context(), st.ID, 20, 50)
	if err != nil || len(last.Rows) != 50 {
		t.Fatalf("last page: %v %+v", err, last)
	}
	if beyond, err := f.svc.Page(t.Context(), st.ID, 21, 50); err != nil || len(beyond.Rows) != 0 {
		t.Errorf("page past the end: %v %+v", err, beyond)
	}
	if _, err := f.svc.Page(t.Context(), st.ID, 1, 51); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("oversized page: %v", err)
	}
	bad, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT * FROM no_such_table"))
	if err != nil {
		t.Fatal(err)
	}
	if st := f.wait(t, bad.ID); st.Status != meta.QueryFailed || !strings.Contains(st.Error, "no_such_table") {
		t.Errorf("failing query: %+v", st)
	}
	hist, err := f.svc.History(t.Context(), f.project.ID, "alice", 10)
	if err != nil || len(hist) != 2 || hist[0].ID != bad.ID || hist[1].Rows != 1000 {
		t.Errorf("history = %+v, %v", hist, err)
	}
}

// longDuck runs for minutes unless interrupted.
const longDuck = "SELECT count(*) FROM range(100000000000) a(i) WHERE i % 7 = 3"

func TestService_cancelDuckDB(t *testing.T) {
	f := setup(t, openDuck(t), query.Config{})
	st, err := f.svc.Submit(t.Context(), f.req("alice", longDuck))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Cancel(t.Context(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != meta.QueryCanceled {
		t.Fatalf("after cancel: %+v", got)
	}
	// The engine is free again: DuckDB really stopped the statement.
	rows, err := f.eng.Query(t.Context(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

func TestService_limits(t *testing.T) {
	f := setup(t, openDuck(t), query.Config{MaxConcurrent: 1, Timeout: 300 * time.Millisecond})
	st, err := f.svc.Submit(t.Context(), f.req("alice", longDuck))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT 1")); !errors.Is(err, query.ErrTooMany) {
		t.Errorf("second query of alice: %v, want ErrTooMany", err)
	}
	other, err := f.svc.Submit(t.Context(), f.req("bob", "SELECT 1"))
	if err != nil {
		t.Errorf("bob is held back by alice's query: %v", err)
	} else {
		f.wait(t, other.ID)
	}
	if got := f.wait(t, st.ID); got.Status != meta.QueryTimedOut || !strings.Contains(got.Error, "limit") {
		t.Errorf("long query: %+v, want timed_out", got)
	}
	if again, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT 1")); err != nil {
		t.Errorf("alice after her query ended: %v", err)
	} else {
		f.wait(t, again.ID)
	}
}

// waitGone polls an engine until no session runs a statement containing
// marker, the proof that a cancel reached the server.
func waitGone(t *testing.T, eng engine.Engine, probe, marker string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := eng.Query(context.Background(), probe)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for rows.Next() {
			v, _ := rows.Values()
			if s, _ := v[0].(string); strings.Contains(s, marker) && !strings.Contains(s, "processlist") && !strings.Contains(s, "pg_stat_activity") {
				found = true
			}
		}
		rows.Close()
		if !found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the statement %q still runs on the server 30 s after cancel", marker)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestService_cancelPostgres(t *testing.T) {
	eng, err := postgres.Open("pg", testenv.Postgres(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	f := setup(t, eng, query.Config{})
	st, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT pg_sleep(120), 'kiln_cancel_marker'"))
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, eng, "SELECT query FROM pg_stat_activity WHERE state = 'active'", "kiln_cancel_marker")
	if got, err := f.svc.Cancel(t.Context(), st.ID); err != nil || got.Status != meta.QueryCanceled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	waitGone(t, eng, "SELECT query FROM pg_stat_activity WHERE state = 'active'", "kiln_cancel_marker")
}

func TestService_cancelMariaDB(t *testing.T) {
	eng, err := mysql.Open("my", testenv.MariaDB(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	f := setup(t, eng, query.Config{})
	st, err := f.svc.Submit(t.Context(), f.req("alice", "SELECT SLEEP(120), 'kiln_cancel_marker'"))
	if err != nil {
		t.Fatal(err)
	}
	const probe = "SELECT COALESCE(info, '') FROM information_schema.processlist"
	waitRunning(t, eng, probe, "kiln_cancel_marker")
	if got, err := f.svc.Cancel(t.Context(), st.ID); err != nil || got.Status != meta.QueryCanceled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	waitGone(t, eng, probe, "kiln_cancel_marker")
}

func waitRunning(t *testing.T, eng engine.Engine, probe, marker string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		rows, err := eng.Query(context.Background(), probe)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v, _ := rows.Values()
			if s, _ := v[0].(string); strings.Contains(s, marker) && strings.Contains(strings.ToLower(s), "sleep") {
				rows.Close()
				return
			}
		}
		rows.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the statement %q never showed up on the server", marker)
}

func TestService_Download(t *testing.T) {
	duck := openDuck(t)
	f := setup(t, duck, query.Config{})
	const q = "SELECT i, 'a<b&' || i AS s, i * 1.5 AS x FROM range(3) t(i) ORDER BY i"
	for _, format := range []string{"csv", "xlsx", "parquet"} {
		var buf bytes.Buffer
		n, err := f.svc.Download(t.Context(), f.req("alice", q), format, &buf)
		if err != nil || n != 3 {
			t.Fatalf("%s: n=%d err=%v", format, n, err)
		}
		switch format {
		case "csv":
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil || len(recs) != 4 || recs[3][1] != "a<b&2" {
				t.Errorf("csv = %v %v", recs, err)
			}
		case "xlsx":
			sheet := unzip(t, buf.Bytes(), "xl/worksheets/sheet1.xml")
			if !strings.Contains(sheet, "a&lt;b&amp;2") || !strings.Contains(sheet, "<v>3</v>") {
				t.Errorf("sheet1.xml = %s", sheet)
			}
		case "parquet":
			if !bytes.HasPrefix(buf.Bytes(), []byte("PAR1")) || !bytes.HasSuffix(buf.Bytes(), []byte("PAR1")) {
				t.Errorf("parquet download is not a Parquet file (%d bytes)", buf.Len())
			}
		}
	}
	if _, err := f.svc.Download(t.Context(), f.req("alice", q), "pdf", io.Discard); !errors.Is(err, query.ErrFormat) {
		t.Errorf("pdf: %v", err)
	}
}

func unzip(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return string(data)
}
