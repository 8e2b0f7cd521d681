package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/lineage"
)

// TestServer_TestDataSource tests the connection of real DuckDB, Postgres
// and MariaDB data sources (the MariaDB one with a password from
// password_env), and of broken ones: a closed port, a wrong password. A
// failure is an answer with the driver's message, never the password.
func TestServer_TestDataSource(t *testing.T) {
	myDSN := testenv.MariaDB(t)
	pgURL := testenv.Postgres(t)
	const password = "Conn-T3st-pw"
	cfg, user := mariaDBUser(t, myDSN, "kc", password)
	pgBad, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	pgBad.Host = "127.0.0.1:1" // nothing listens on port 1
	// A server that accepts connections and never answers: the test must
	// give up after its timeout.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		for {
			conn, err := hang.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	pgHang := *pgBad
	pgHang.Host = hang.Addr().String()

	t.Setenv("MART_PW", password)
	t.Setenv("WRONG_PW", "not-"+password)
	dir := writeProject(t, map[string]string{
		"kiln.yaml": fmt.Sprintf(`name: conn
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb
  local:
    kind: duckdb
    path: local.duckdb
  pg:
    kind: postgres
    dsn: %s
  mart:
    kind: mysql
    dsn: mysql://%s@%s/%s
    password_env: MART_PW
  pg_down:
    kind: postgres
    dsn: %s
  mart_denied:
    kind: mysql
    dsn: mysql://%s@%s/%s
    password_env: WRONG_PW
  pg_hang:
    kind: postgres
    dsn: %s
`, pgURL, user, cfg.Addr, cfg.DBName, pgBad.String(), user, cfg.Addr, cfg.DBName, pgHang.String()),
		"tasks/t.sql": "/* kiln\ntarget: t\nwrite_mode: overwrite\n*/\nSELECT 1 AS id\n",
	})
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", dir)
	c := k.client()
	test := func(name string) (*api.DataSourceTest, error) {
		var out api.DataSourceTest
		err := c.JSON(t.Context(), "POST", "/api/v1/projects/conn/datasources/"+name+"/test", nil, &out)
		return &out, err
	}
	cases := []struct {
		name    string
		ok      bool
		version string // in the version or the error
	}{
		{"warehouse", true, "v1."},
		{"local", true, "v1."},
		{"pg", true, "PostgreSQL"},
		{"mart", true, "MariaDB"},
		{"pg_down", false, "connect"},
		{"mart_denied", false, "Access denied"},
		{"pg_hang", false, "no answer within 5s"},
	}
	for _, tc := range cases {
		res, err := test(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: ok=%v latency_ms=%d version=%q error=%q", tc.name, res.OK, res.LatencyMS, res.Version, res.Error)
		if res.OK != tc.ok {
			t.Errorf("%s: ok=%v, want %v (%+v)", tc.name, res.OK, tc.ok, res)
		}
		if got := res.Version + res.Error; !strings.Contains(got, tc.version) {
			t.Errorf("%s: answer %+v lacks %q", tc.name, res, tc.version)
		}
		if tc.ok && res.Error != "" || !tc.ok && res.Error == "" {
			t.Errorf("%s: error %q with ok=%v", tc.name, res.Error, res.OK)
		}
		if res.LatencyMS > 5500 {
			t.Errorf("%s: took %d ms, past the 5 s timeout", tc.name, res.LatencyMS)
		}
		if strings.Contains(res.Error, password) {
			t.Errorf("%s: the password leaked into the answer", tc.name)
		}
	}
	var ce *client.Error
	if _, err := test("no_such"); !errors.As(err, &ce) || ce.Status != 404 || !strings.Contains(ce.Message, "no_such") {
		t.Errorf("unknown data source: %v", err)
	}
	// The listing still carries no secret, only that one is set.
	var ds []map[string]any
	if err := c.JSON(t.Context(), "GET", "/api/v1/projects/conn/datasources", nil, &ds); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if fmt.Sprint(d["name"]) == "mart" && d["has_secret"] != true {
			t.Errorf("mart: %v", d)
		}
		if strings.Contains(fmt.Sprint(d), password) {
			t.Errorf("a listing shows the password: %v", d)
		}
	}
}

// TestServer_ColumnLineageGraph reads a table's column-level lineage
// through the graph API (level=column), both ways, and a bad level.
func TestServer_ColumnLineageGraph(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c := k.client()
	graph := func(q string) (*lineage.Subgraph, error) {
		var out lineage.Subgraph
		return &out, c.JSON(t.Context(), "GET", "/api/v1/projects/shop/lineage/graph?"+q, nil, &out)
	}
	edges := func(g *lineage.Subgraph) string {
		var parts []string
		for _, e := range g.Edges {
			parts = append(parts, e.Source+">"+e.Target+"@"+e.Task)
		}
		return strings.Join(parts, " ")
	}
	up, err := graph("node=ads.total&direction=up&depth=1&level=column")
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(up); got != "dwd.sales.amount>ads.total.amount@total dwd.sales.dt>ads.total.dt@total" {
		t.Errorf("column lineage up from ads.total: %s", got)
	}
	down, err := graph("node=dwd.sales&direction=down&depth=1&level=column")
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(down); got != "dwd.sales.amount>ads.total.amount@total dwd.sales.dt>ads.total.dt@total" {
		t.Errorf("column lineage down from dwd.sales: %s", got)
	}
	for _, n := range down.Nodes {
		if n.Kind != "column" {
			t.Errorf("node %+v is no column", n)
		}
	}
	// A column node walks its own column edges whatever the level.
	col, err := graph("node=ads.total.amount&direction=up&depth=1&level=column")
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(col); got != "dwd.sales.amount>ads.total.amount@total" {
		t.Errorf("column node: %s", got)
	}
	// The table level is unchanged.
	tbl, err := graph("node=ads.total&direction=up&depth=1")
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(tbl); got != "dwd.sales>ads.total@total" {
		t.Errorf("table level: %s", got)
	}
	var ce *client.Error
	if _, err := graph("node=ads.total&level=row"); !errors.As(err, &ce) || ce.Status != 400 {
		t.Errorf("level=row: %v", err)
	}
}
