package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/internal/testenv"
)

// TestServer_ExternalEnginesWithSecrets runs models on the machine's
// MariaDB (with a real password, from password_env) and Postgres, and
// checks the password shows up nowhere.
func TestServer_ExternalEnginesWithSecrets(t *testing.T) {
	myDSN := testenv.MariaDB(t)
	pgURL := testenv.Postgres(t)
	const password = "Sup3r-S3cret-pw"
	cfg, user := mariaDBUser(t, myDSN, "kt", password)

	t.Setenv("MART_PW", password)
	dir := writeProject(t, map[string]string{
		"kiln.yaml": fmt.Sprintf(`name: ext
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb
  mart:
    kind: mysql
    dsn: mysql://%s@%s/%s
    password_env: MART_PW
  pg:
    kind: postgres
    dsn: %s
`, user, cfg.Addr, cfg.DBName, pgURL),
		"tasks/report.sql": "/* kiln\nengine: mart\ntarget: report\nwrite_mode: overwrite\n*/\nSELECT 1 AS id, 'a' AS name UNION ALL SELECT 2, '${bizdate}'\n",
		"tasks/daily.sql":  "/* kiln\nengine: pg\ntarget: mart.daily\nwrite_mode: overwrite_partition\npartition_column: dt\n*/\nSELECT g AS id, CAST('${bizdate}' AS date) AS dt FROM generate_series(1, 3) g\n",
	})
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", dir)
	for i := 0; i < 2; i++ {
		k.mustCLI("run", "report", "-p", "ext", "--bizdate", "2024-03-01", "--wait")
		k.mustCLI("run", "daily", "-p", "ext", "--bizdate", "2024-03-01", "--wait")
	}
	k.mustCLI("run", "daily", "-p", "ext", "--bizdate", "2024-03-02", "--wait")
	if out := k.mustCLI("sql", "-p", "ext", "--engine", "mart", "SELECT count(*) AS n, max(name) AS m FROM report", "--format", "csv"); out != "n,m\n2,a\n" {
		t.Fatalf("mart report:\n%s", out)
	}
	if out := k.mustCLI("sql", "-p", "ext", "--engine", "pg", "SELECT dt, count(*) AS n FROM mart.daily GROUP BY dt ORDER BY dt", "--format", "csv"); out != "dt,n\n2024-03-01,3\n2024-03-02,3\n" {
		t.Fatalf("pg daily:\n%s", out)
	}

	// The password appears in no answer, listing or log.
	var seen strings.Builder
	seen.WriteString(k.mustCLI("task", "show", "report", "-p", "ext"))
	seen.WriteString(k.mustCLI("instance", "list", "-p", "ext", "--json"))
	for _, path := range []string{"/api/v1/projects/ext/datasources", "/api/v1/projects/ext", "/api/v1/projects/ext/audit"} {
		resp, err := k.client().Do(context.Background(), "GET", path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen.Write(b)
	}
	for id := 1; id <= 5; id++ {
		seen.WriteString(k.mustCLI("instance", "logs", fmt.Sprint(id)))
	}
	seen.WriteString(k.stderr.String())
	if strings.Contains(seen.String(), password) {
		t.Fatal("the data source password leaked into an answer or log")
	}

	// A wrong password fails the run with the engine's message.
	t.Setenv("MART_PW", "wrong")
	k.mustCLI("apply", dir)
	r := k.cli("run", "report", "-p", "ext", "--bizdate", "2024-03-01", "--wait")
	if r.code != 1 || !strings.Contains(r.stdout, "Access denied") {
		t.Fatalf("wrong password: exit %d\n%s", r.code, r.stdout)
	}
}

// TestServer_PostgresMetadataStore runs the server on a Postgres metadata
// store.
func TestServer_PostgresMetadataStore(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{MetaURL: testenv.Postgres(t)})
	k.mustCLI("apply", salesProject(t))
	out := k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	if !strings.Contains(out, "5 rows written") {
		t.Fatalf("run on postgres metadata: %s", out)
	}
	if out := k.mustCLI("instance", "list", "-p", "shop"); !strings.Contains(out, "success") {
		t.Fatalf("instances: %s", out)
	}
}

// mariaDBUser creates a MariaDB user (prefix_ and the test database's
// suffix) with password and every right on the test database of myDSN,
// dropped when the test ends. It returns the parsed DSN and the user.
func mariaDBUser(t *testing.T, myDSN, prefix, password string) (*mysql.Config, string) {
	t.Helper()
	cfg, err := mysql.ParseDSN(myDSN)
	if err != nil {
		t.Fatal(err)
	}
	user := prefix + "_" + strings.TrimPrefix(cfg.DBName, "kiln_")
	admin, err := sql.Open("mysql", myDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, password),
		fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%%'", cfg.DBName, user),
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
	return cfg, user
}
