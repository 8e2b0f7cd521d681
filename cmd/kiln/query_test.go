package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
)

// crmProject is a project whose warehouse holds a users table with a
// column listed as sensitive and columns sensitive by name.
func crmProject(t *testing.T, k *kiln) {
	t.Helper()
	k.mustCLI("apply", writeProject(t, map[string]string{
		"kiln.yaml": projectFile("crm", "sensitive: [users.secret_code]\n"),
	}))
	k.mustCLI("sql", "-p", "crm", `CREATE TABLE users AS SELECT i AS id, 'user' || i AS name, '1380000' || lpad(i::VARCHAR, 4, '0') AS phone,
		'code-' || i || '-xyz' AS secret_code, i % 10 AS city FROM range(1, 1001) t(i)`)
	k.mustCLI("sql", "-p", "crm", `CREATE TABLE orders AS SELECT i AS id, i % 1000 + 1 AS user_id, i * 1.5 AS amount FROM range(5000) t(i)`)
}

// member creates a user with a role in crm and returns their token.
func (k *kiln) member(t *testing.T, name string, role meta.Role) string {
	t.Helper()
	ctx := context.Background()
	admin := k.client()
	if err := admin.JSON(ctx, "POST", "/api/v1/users", api.CreateUserRequest{Name: name, Password: name + "-password-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.JSON(ctx, "PUT", "/api/v1/projects/crm/members/"+name, api.SetMemberRequest{Role: role}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := client.New(k.addr, "").Login(ctx, name, name+"-password-1")
	if err != nil {
		t.Fatal(err)
	}
	return login.Token
}

func TestQuery_RunStatusCancelHistoryDownload(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	ctx := context.Background()

	out := k.mustCLI("query", "run", "-p", "crm", "SELECT id, name FROM users WHERE id <= 3 ORDER BY id")
	if !strings.Contains(out, "ID") || !strings.Contains(out, "user3") || strings.Contains(out, "user4") {
		t.Fatalf("query run: %s", out)
	}
	// Detached: the id comes back at once, then status and rows by id.
	out = k.mustCLI("query", "run", "-p", "crm", "--detach", "--json", "SELECT count(*) AS n FROM orders")
	var st query.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.ID == 0 {
		t.Fatalf("detach: %v %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out = k.mustCLI("query", "status", "-p", "crm", strconv.FormatInt(st.ID, 10))
		if strings.Contains(out, "succeeded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	page, err := k.client().QueryRows(ctx, "crm", st.ID, 1, 10)
	if err != nil || len(page.Rows) != 1 || strings.Join(strings.Fields(string(page.Rows[0])), "") != "[5000]" {
		t.Fatalf("rows: %v %+v", err, page)
	}
	if _, err := k.client().QueryRows(ctx, "crm", st.ID, 1, 100000); !isStatus(err, 400) {
		t.Fatalf("oversized page: %v", err)
	}

	// Cancel reaches DuckDB: the run ends canceled, not succeeded.
	long, err := k.client().SubmitQuery(ctx, "crm", &api.QueryRequest{SQL: "SELECT count(*) FROM range(100000000000) a"})
	if err != nil {
		t.Fatal(err)
	}
	out = k.mustCLI("query", "cancel", "-p", "crm", strconv.FormatInt(long.ID, 10))
	if !strings.Contains(out, "canceled") {
		t.Fatalf("cancel: %s", out)
	}
	// A query the engine refuses is a 400 with the engine's message; one
	// that fails while running reports failed; both exit 1.
	if _, err := k.client().SubmitQuery(ctx, "crm", &api.QueryRequest{SQL: "SELECT nope FROM users"}); !isStatus(err, 400) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad sql: %v", err)
	}
	if r := k.cli("query", "run", "-p", "crm", "SELECT CAST('x' AS INTEGER) AS n"); r.code != 1 || !strings.Contains(r.stderr, "failed") {
		t.Fatalf("failing sql: %+v", r)
	}

	out = k.mustCLI("query", "history", "-p", "crm", "--json")
	var runs []meta.QueryRun
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs) < 5 {
		t.Fatalf("history: %v %s", err, out)
	}
	// Newest first: the failed run, the refused one (kept as failed with
	// the engine's message), the cancelled one.
	if runs[0].Status != meta.QueryFailed || runs[1].Status != meta.QueryFailed || runs[1].SQL != "SELECT nope FROM users" ||
		!strings.Contains(runs[1].Error, "nope") || runs[2].Status != meta.QueryCanceled {
		t.Fatalf("history order/status: %+v", runs[:3])
	}
	if out = k.mustCLI("query", "history", "-p", "crm"); !strings.Contains(out, "canceled") || !strings.Contains(out, "SELECT count(*) AS n FROM orders") {
		t.Fatalf("history table: %s", out)
	}

	dir := t.TempDir()
	for _, f := range []string{"csv", "xlsx", "parquet"} {
		path := filepath.Join(dir, "users."+f)
		k.mustCLI("query", "download", "-p", "crm", "-o", path, "SELECT id, name FROM users ORDER BY id")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch f {
		case "csv":
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 1001 || lines[0] != "id,name" || lines[1000] != "1000,user1000" {
				t.Fatalf("csv: %d lines, %q", len(lines), lines[0])
			}
		case "xlsx":
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("xlsx is no zip: %v", err)
			}
			if len(zr.File) != 5 {
				t.Fatalf("xlsx parts: %d", len(zr.File))
			}
		case "parquet":
			if !bytes.HasPrefix(b, []byte("PAR1")) || !bytes.HasSuffix(b, []byte("PAR1")) {
				t.Fatalf("parquet magic missing")
			}
			out = k.mustCLI("sql", "-p", "crm", "--format", "csv", "SELECT count(*) AS n FROM read_parquet('"+path+"')")
			if !strings.Contains(out, "1000") {
				t.Fatalf("parquet read back: %s", out)
			}
		}
	}
	if r := k.cli("query", "download", "-p", "crm", "-o", filepath.Join(dir, "x.pdf"), "SELECT 1"); r.code != 1 || !strings.Contains(r.stderr, "format") {
		t.Fatalf("bad format: %+v", r)
	}
	if r := k.cli("query", "download", "-p", "crm", "-o", filepath.Join(dir, "x.csv"), "DELETE FROM users"); r.code != 1 {
		t.Fatalf("download of a write: %+v", r)
	}
	if out = k.mustCLI("sql", "-p", "crm", "--format", "csv", "SELECT count(*) FROM users"); !strings.Contains(out, "1000") {
		t.Fatalf("users changed: %s", out)
	}
}

func TestQuery_SavedQueriesShared(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	dana := k.member(t, "dana", meta.RoleDeveloper)
	k.mustCLI("saved", "save", "-p", "crm", "--folder", "daily", "--shared", "top users", "SELECT * FROM users LIMIT 5")
	k.mustCLI("saved", "save", "-p", "crm", "mine", "SELECT 1")
	r := k.cliAs(dana, "saved", "list", "-p", "crm", "--json")
	var qs []meta.SavedQuery
	if err := json.Unmarshal([]byte(r.stdout), &qs); err != nil || len(qs) != 1 || qs[0].Name != "top users" || qs[0].Folder != "daily" {
		t.Fatalf("dana sees: %v %s", err, r.stdout)
	}
	if r := k.cliAs(dana, "saved", "delete", "-p", "crm", strconv.FormatInt(qs[0].ID, 10)); r.code != 1 || !strings.Contains(r.stderr, "owner") {
		t.Fatalf("dana deletes admin's: %+v", r)
	}
	k.mustCLI("saved", "delete", "-p", "crm", strconv.FormatInt(qs[0].ID, 10))
	if out := k.mustCLI("saved", "list", "-p", "crm"); strings.Contains(out, "top users") || !strings.Contains(out, "mine") {
		t.Fatalf("after delete: %s", out)
	}
}

func TestQuery_SensitiveMaskedAndAudited(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	dana := k.member(t, "dana", meta.RoleDeveloper)

	// A developer sees masked values: first 3 and last 4 characters.
	r := k.cliAs(dana, "query", "run", "-p", "crm", "--json", "SELECT id, phone, secret_code, name FROM users WHERE id = 7")
	if r.code != 0 || !strings.Contains(r.stdout, `"138****0007"`) || !strings.Contains(r.stdout, `"cod****-xyz"`) || !strings.Contains(r.stdout, `"user7"`) {
		t.Fatalf("masked run: %+v", r)
	}
	// SELECT * masks too, and so do downloads.
	path := filepath.Join(t.TempDir(), "u.csv")
	if r = k.cliAs(dana, "query", "download", "-p", "crm", "-o", path, "SELECT * FROM users WHERE id <= 2 ORDER BY id"); r.code != 0 {
		t.Fatalf("download: %+v", r)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "13800000001") || !strings.Contains(string(b), "138****0001") || strings.Contains(string(b), "code-1-xyz") {
		t.Fatalf("download not masked:\n%s", b)
	}
	// Renaming or computing on a sensitive column cannot be masked: 403.
	for _, q := range []string{"SELECT phone AS p FROM users", "SELECT id FROM users WHERE secret_code = 'code-1-xyz'", "SELECT upper(secret_code) FROM users"} {
		if r = k.cliAs(dana, "query", "run", "-p", "crm", q); r.code != 1 || !strings.Contains(r.stderr, "cannot be masked") {
			t.Fatalf("%s: %+v", q, r)
		}
	}
	// The owner (admin) sees them unmasked.
	if out := k.mustCLI("query", "run", "-p", "crm", "--json", "SELECT phone FROM users WHERE id = 7"); !strings.Contains(out, `"13800000007"`) {
		t.Fatalf("owner run: %s", out)
	}
	// Queries without sensitive columns are not audited.
	k.cliAs(dana, "query", "run", "-p", "crm", "SELECT id FROM users LIMIT 1")

	out := k.mustCLI("audit", "sensitive", "--json")
	var es []api.SensitiveAccess
	if err := json.Unmarshal([]byte(out), &es); err != nil || len(es) != 3 {
		t.Fatalf("audit: %v %s", err, out)
	}
	if es[0].User != "admin" || !es[0].Unmasked || es[1].Kind != "download" || es[1].Rows != 2 || es[2].User != "dana" ||
		es[2].Rows != 1 || es[2].Unmasked || strings.Join(es[2].Columns, ",") != "phone,secret_code" || es[2].Project != "crm" {
		t.Fatalf("audit entries: %+v", es)
	}
	if out = k.mustCLI("audit", "sensitive", "-p", "crm"); !strings.Contains(out, "phone,secret_code") || !strings.Contains(out, "dana") {
		t.Fatalf("audit table: %s", out)
	}
	if r = k.cliAs(dana, "audit", "sensitive"); r.code != 1 || !strings.Contains(r.stderr, "administrators") {
		t.Fatalf("non-admin audit: %+v", r)
	}
}

func TestQuery_TableGrants(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	dana := k.member(t, "dana", meta.RoleDeveloper)
	erik := k.member(t, "erik", meta.RoleOperator)

	// No grants: every member reads every table.
	if r := k.cliAs(erik, "query", "run", "-p", "crm", "SELECT count(*) FROM orders"); r.code != 0 {
		t.Fatalf("open table: %+v", r)
	}
	k.mustCLI("grant", "add", "-p", "crm", "orders", "dana")
	if out := k.mustCLI("grant", "list", "-p", "crm"); !strings.Contains(out, "orders") || !strings.Contains(out, "dana") {
		t.Fatalf("grant list: %s", out)
	}
	// A developer may not grant.
	if r := k.cliAs(dana, "grant", "add", "-p", "crm", "users", "dana"); r.code != 1 {
		t.Fatalf("developer grants: %+v", r)
	}
	// erik is refused, naming the table, in a join, a CTE, a subquery and a download.
	for _, q := range []string{
		"SELECT * FROM orders",
		"SELECT u.name, o.amount FROM users u JOIN main.orders o ON o.user_id = u.id",
		"WITH x AS (SELECT * FROM orders) SELECT count(*) FROM x",
		"SELECT id FROM users WHERE id IN (SELECT user_id FROM ORDERS)",
	} {
		_, err := client.New(k.addr, erik).SubmitQuery(context.Background(), "crm", &api.QueryRequest{SQL: q})
		if !isStatus(err, 403) || !strings.Contains(err.Error(), "orders") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	path := filepath.Join(t.TempDir(), "o.csv")
	if r := k.cliAs(erik, "query", "download", "-p", "crm", "-o", path, "SELECT * FROM orders"); r.code != 1 || !strings.Contains(r.stderr, "orders") {
		t.Fatalf("download refused: %+v", r)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("a refused download left a file")
	}
	// Other tables stay open; dana, granted, reads orders.
	if r := k.cliAs(erik, "query", "run", "-p", "crm", "SELECT count(*) FROM users"); r.code != 0 {
		t.Fatalf("users: %+v", r)
	}
	if r := k.cliAs(dana, "query", "run", "-p", "crm", "SELECT count(*) AS n FROM orders"); r.code != 0 || !strings.Contains(r.stdout, "5000") {
		t.Fatalf("granted: %+v", r)
	}
	// Revoked: dana is refused, and the table stays restricted.
	k.mustCLI("grant", "revoke", "-p", "crm", "orders", "dana")
	if r := k.cliAs(dana, "query", "run", "-p", "crm", "SELECT count(*) FROM orders"); r.code != 1 || !strings.Contains(r.stderr, "orders") {
		t.Fatalf("revoked: %+v", r)
	}
	if r := k.cli("grant", "revoke", "-p", "crm", "orders", "dana"); r.code != 1 {
		t.Fatalf("revoke twice: %+v", r)
	}
}
