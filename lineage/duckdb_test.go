package lineage

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestDuckDB_ownSyntax: DuckDB-only syntax parses with the duckdb dialect,
// through DuckDB's own parser.
func TestDuckDB_ownSyntax(t *testing.T) {
	cat := Catalog{"ods.t": {"a", "b", "c"}}
	cases := []struct{ sql, want string }{
		{"INSERT INTO dw.x SELECT try_cast(a AS INT) AS a, * EXCLUDE (a) FROM ods.t",
			"ods.t.a>dw.x.a ods.t.b>dw.x.b ods.t.c>dw.x.c"},
		{"INSERT INTO dw.x (k, v) SELECT a, c FROM ods.t QUALIFY row_number() OVER (PARTITION BY b ORDER BY c) = 1",
			"ods.t.a>dw.x.k ods.t.c>dw.x.v"},
		{"CREATE OR REPLACE TABLE dw.y AS FROM ods.t SELECT a, b + c AS s",
			"ods.t.a>dw.y.a ods.t.b>dw.y.s ods.t.c>dw.y.s"},
		{"CREATE TABLE dw.z AS SELECT * FROM ods.t GROUP BY ALL", "ods.t.a>dw.z.a ods.t.b>dw.z.b ods.t.c>dw.z.c"},
		// a statement DuckDB does not serialize is read by libpg_query
		{"UPDATE dw.x SET k = t.a FROM ods.t t WHERE t.b = dw.x.v", "ods.t.a>dw.x.k"},
		// a script: the intermediate table is stitched through
		{"CREATE TEMP TABLE tmp AS SELECT a, list_transform([b], x -> x + 1) AS l FROM ods.t;\nINSERT INTO dw.w SELECT l FROM tmp",
			"ods.t.b>dw.w.l"},
	}
	for _, c := range cases {
		res, err := Analyze("duckdb", c.sql, Options{Catalog: cat})
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := edges(res); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.sql, got, c.want)
		}
	}
	if _, err := Parse("postgres", "SELECT * EXCLUDE (a) FROM t"); err == nil {
		t.Error("postgres reads DuckDB syntax: the test proves nothing")
	}
}

func TestDuckDB_parseError(t *testing.T) {
	_, err := Analyze("duckdb", "SELECT 1;\nINSERT INTO x SELECT a FROM", Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(pe.Msg, "syntax error") {
		t.Fatalf("err = %v", err)
	}
}

// TestCorpus_duckdbParser reads the corpus's ansi cases with the duckdb
// dialect, to keep DuckDB's frontend as good as libpg_query's on SQL both
// accept.
func TestCorpus_duckdbParser(t *testing.T) {
	cases, err := LoadCorpus("testdata/sqllineage/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var ansi []CorpusCase
	for _, c := range cases {
		if c.Dialect == "ansi" {
			c.Dialect = "duckdb"
			ansi = append(ansi, c)
		}
	}
	scores := ScoreCorpus(ansi)
	var sb strings.Builder
	total := PrintScores(&sb, scores)
	t.Log("ansi cases read as duckdb:\n" + sb.String())
	if os.Getenv("LINEAGE_FAILURES") != "" {
		for _, f := range scores["duckdb"].Failures {
			t.Log(f)
		}
	}
	if r, f := total.TableRate(), total.F1(); r < tableFloor || f < edgeF1Floor {
		t.Errorf("duckdb frontend on the ansi cases: table %.1f%%, edge F1 %.1f%% (floors %.0f%%, %.0f%%)", 100*r, 100*f, 100*tableFloor, 100*edgeF1Floor)
	}
}
