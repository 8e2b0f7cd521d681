package lineage

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func edges(r *Result) string {
	var parts []string
	for _, e := range r.Columns {
		parts = append(parts, e.Source+">"+e.Target)
	}
	return strings.Join(parts, " ")
}

func TestResolver(t *testing.T) {
	cat := Catalog{"ods.orders": {"id", "user_id", "amount", "dt"}, "ods.users": {"id", "name"}, "orders": {"x"}}
	cases := []struct {
		name, dialect, sql string
		sources, targets   string
		cols               string
	}{
		{"cte shadows a real table", "postgres",
			`WITH orders AS (SELECT id, amount FROM ods.orders) INSERT INTO dw.t SELECT id, amount * 2 AS a2 FROM orders`,
			"ods.orders", "dw.t", "ods.orders.id>dw.t.id ods.orders.amount>dw.t.a2"},
		{"star from catalog and join", "postgres",
			`CREATE TABLE dw.j AS SELECT u.*, o.amount FROM ods.users u JOIN ods.orders o ON o.user_id = u.id`,
			"ods.orders ods.users", "dw.j", "ods.users.id>dw.j.id ods.users.name>dw.j.name ods.orders.amount>dw.j.amount"},
		{"lateral and window", "postgres",
			`INSERT INTO dw.w (uid, rk) SELECT u.id, l.rk FROM ods.users u, LATERAL (SELECT rank() OVER (PARTITION BY o.dt ORDER BY o.amount) AS rk FROM ods.orders o WHERE o.user_id = u.id) l`,
			"ods.orders ods.users", "dw.w", "ods.users.id>dw.w.uid ods.orders.amount>dw.w.rk ods.orders.dt>dw.w.rk"},
		{"union merges by position", "duckdb",
			`INSERT INTO dw.u SELECT id AS k FROM ods.users UNION ALL SELECT user_id FROM ods.orders`,
			"ods.orders ods.users", "dw.u", "ods.orders.user_id>dw.u.k ods.users.id>dw.u.k"},
		{"unresolved column is marked", "postgres",
			`INSERT INTO t SELECT c FROM a JOIN b ON a.id = b.id`,
			"a b", "t", "?.c>t.c"},
		{"update from", "postgres",
			`UPDATE dw.t SET amount = o.amount FROM ods.orders o WHERE o.id = dw.t.id`,
			"ods.orders", "dw.t", "ods.orders.amount>dw.t.amount"},
		{"script intermediate table", "mysql",
			"CREATE TABLE tmp AS SELECT id, name FROM ods.users;\nINSERT INTO dw.x SELECT name FROM tmp",
			"ods.users", "dw.x", "ods.users.name>dw.x.name"},
		{"mysql join and alias", "mysql",
			"INSERT INTO dw.m (a) SELECT `o`.amount + 1 FROM ods.orders AS o JOIN ods.users u ON u.id = o.user_id",
			"ods.orders ods.users", "dw.m", "ods.orders.amount>dw.m.a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Analyze(c.dialect, c.sql, Options{Catalog: cat})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Sources, " "); got != c.sources {
				t.Errorf("sources %q, want %q", got, c.sources)
			}
			if got := strings.Join(r.Targets, " "); got != c.targets {
				t.Errorf("targets %q, want %q", got, c.targets)
			}
			if got := edges(r); got != c.cols {
				t.Errorf("columns\n got %s\nwant %s", got, c.cols)
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	for _, d := range []string{"postgres", "mysql"} {
		_, err := Analyze(d, "SELECT a\nFROM t WHERE", Options{})
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 2 {
			t.Errorf("%s: want a parse error on line 2, got %v", d, err)
		}
	}
	if _, err := Analyze("cobol", "SELECT 1", Options{}); err == nil || !strings.Contains(err.Error(), "unknown dialect") {
		t.Errorf("unknown dialect: %v", err)
	}
}

func TestResultJSON(t *testing.T) {
	r, err := Analyze("ansi", "INSERT INTO t SELECT x FROM s", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if string(b) != `{"sources":["s"],"targets":["t"],"columns":[{"source":"s.x","target":"t.x"}]}` {
		t.Errorf("json %s", b)
	}
}
