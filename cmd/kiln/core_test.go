package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

const modelV1 = `/* kiln
target: dwd.sales
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
*/
SELECT i AS id, i * 10 AS amount, '${bizdate}' AS dt
FROM range(5) t(i)
`

func salesProject(t *testing.T) string {
	return writeProject(t, map[string]string{
		"kiln.yaml":           projectFile("shop", ""),
		"tasks/dwd/sales.sql": modelV1,
		"tasks/ads/total.sql": "/* kiln\ntarget: ads.total\nwrite_mode: overwrite\nupstreams: [sales]\n*/\nSELECT dt, sum(amount) AS amount FROM dwd.sales GROUP BY dt\n",
	})
}

func TestCLI_ApplyVersionsAndDiff(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := salesProject(t)

	out := k.mustCLI("validate", dir)
	if !strings.Contains(out, "2 tasks, no problems") {
		t.Fatalf("validate: %s", out)
	}
	out = k.mustCLI("apply", dir)
	for _, want := range []string{"created project shop", "+ sales (v1)", "+ total (v1)", "2 added, 0 changed, 0 removed"} {
		if !strings.Contains(out, want) {
			t.Fatalf("apply output lacks %q:\n%s", want, out)
		}
	}
	// Applying the same folder again changes nothing.
	if out = k.mustCLI("apply", dir); !strings.Contains(out, "0 added, 0 changed, 0 removed, 2 unchanged") {
		t.Fatalf("second apply: %s", out)
	}
	// Change one task, remove the other.
	changed := strings.Replace(modelV1, "i * 10", "i * 100", 1)
	if err := os.WriteFile(filepath.Join(dir, "tasks/dwd/sales.sql"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "tasks/ads/total.sql")); err != nil {
		t.Fatal(err)
	}
	out = k.mustCLI("apply", dir, "-m", "ten times more")
	if !strings.Contains(out, "~ sales (v2)") || !strings.Contains(out, "- total") {
		t.Fatalf("apply after change: %s", out)
	}

	out = k.mustCLI("task", "list", "-p", "shop")
	if !strings.Contains(out, "sales") || strings.Contains(out, "total") {
		t.Fatalf("task list: %s", out)
	}
	out = k.mustCLI("task", "show", "sales", "-p", "shop")
	for _, want := range []string{"version 2", "i * 100", "ten times more"} {
		if !strings.Contains(out, want) {
			t.Fatalf("task show lacks %q:\n%s", want, out)
		}
	}
	out = k.mustCLI("task", "show", "sales", "-p", "shop", "--diff", "1..2")
	if !strings.Contains(out, "-SELECT i AS id, i * 10 AS amount") || !strings.Contains(out, "+SELECT i AS id, i * 100 AS amount") {
		t.Fatalf("diff: %s", out)
	}
	var list []meta.Task
	if err := json.Unmarshal([]byte(k.mustCLI("task", "list", "-p", "shop", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("task list --json: %v %v", list, err)
	}
}

func TestCLI_InvalidProjectChangesNothing(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := salesProject(t)
	k.mustCLI("apply", dir)
	bad := writeProject(t, map[string]string{
		"kiln.yaml":           projectFile("shop", "bogus_key: 1\n"),
		"tasks/dwd/sales.sql": strings.Replace(modelV1, "${bizdate}", "${no_such_param}", 1),
		"tasks/a.sql":         "/* kiln\nschedule: \"61 * * * *\"\nengine: nowhere\n*/\nSELECT 1\n",
	})
	r := k.cli("validate", bad)
	if r.code != 1 {
		t.Fatalf("validate of a bad project: exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"kiln.yaml:", "bogus_key", "sales.sql:", "no_such_param", "a.sql:", "nowhere"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("problems lack %q:\n%s", want, r.stderr)
		}
	}
	if r = k.cli("apply", bad); r.code != 1 {
		t.Fatalf("apply of a bad project: exit %d", r.code)
	}
	// The server checks too: send the files straight to the API.
	files, _ := readFiles(bad)
	_, err := k.client().Apply(context.Background(), "shop", &api.ApplyRequest{Files: files})
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != 422 || ce.Code != "invalid_project" {
		t.Fatalf("API apply of a bad project: %v", err)
	}
	d, err := k.client().Task(context.Background(), "shop", "sales")
	if err != nil || d.Task.CurrentVersion != 1 {
		t.Fatalf("task changed by a failed apply: %+v %v", d, err)
	}
}

func TestCLI_RunModelIdempotentAndSQL(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	for i := 0; i < 2; i++ { // the second run of the same period must leave the same rows
		out := k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
		if !strings.Contains(out, "success") || !strings.Contains(out, "5 rows written") {
			t.Fatalf("run: %s", out)
		}
	}
	k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-02", "--wait")
	out := k.mustCLI("sql", "-p", "shop", "SELECT dt, count(*) AS n, sum(amount) AS s FROM dwd.sales GROUP BY dt ORDER BY dt", "--format", "csv")
	if out != "dt,n,s\n2024-03-01,5,100\n2024-03-02,5,100\n" {
		t.Fatalf("sql csv:\n%s", out)
	}
	out = k.mustCLI("sql", "-p", "shop", "SELECT 42 AS answer, NULL AS nothing")
	if !strings.Contains(out, "ANSWER") || !strings.Contains(out, "42") || !strings.Contains(out, "NULL") {
		t.Fatalf("sql table: %s", out)
	}
	var res api.SQLResult
	if err := json.Unmarshal([]byte(k.mustCLI("sql", "-p", "shop", "SELECT 1 AS a", "--format", "json")), &res); err != nil || res.RowCount != 1 {
		t.Fatalf("sql json: %+v %v", res, err)
	}
	if r := k.cli("sql", "-p", "shop", "SELEC nonsense"); r.code != 1 || !strings.Contains(r.stderr, "syntax") {
		t.Fatalf("bad sql: %+v", r)
	}

	out = k.mustCLI("instance", "list", "-p", "shop", "--task", "sales")
	if strings.Count(out, "success") != 3 {
		t.Fatalf("instance list: %s", out)
	}
	var insts []meta.Instance
	if err := json.Unmarshal([]byte(k.mustCLI("instance", "list", "-p", "shop", "--json", "--state", "success")), &insts); err != nil || len(insts) != 3 {
		t.Fatalf("instance list --json: %v", err)
	}
	id := strconv.FormatInt(insts[0].ID, 10)
	out = k.mustCLI("instance", "show", id)
	if !strings.Contains(out, "2024-03-02") || !strings.Contains(out, "'2024-03-02' AS dt") {
		t.Fatalf("instance show lacks the rendered SQL: %s", out)
	}
	out = k.mustCLI("instance", "logs", id)
	if !strings.Contains(out, "rendered SQL") || !strings.Contains(out, "success") {
		t.Fatalf("logs: %s", out)
	}
}

func TestCLI_FailedSQLLeavesTargetAsItWas(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := salesProject(t)
	k.mustCLI("apply", dir)
	k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	// The new version fails mid-query; the partition must keep its rows.
	broken := strings.Replace(modelV1, "i * 10 AS amount", "CAST('x' || i AS INTEGER) AS amount", 1)
	if err := os.WriteFile(filepath.Join(dir, "tasks/dwd/sales.sql"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	k.mustCLI("apply", dir)
	r := k.cli("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	if r.code != 1 || !strings.Contains(r.stdout, "failed") {
		t.Fatalf("broken run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Conversion Error") && !strings.Contains(r.stdout, "Could not convert") {
		t.Fatalf("log lacks the engine's message:\n%s", r.stdout)
	}
	out := k.mustCLI("sql", "-p", "shop", "SELECT count(*) AS n, sum(amount) AS s FROM dwd.sales", "--format", "csv")
	if out != "n,s\n5,100\n" {
		t.Fatalf("target changed by a failed run:\n%s", out)
	}
}

func TestCLI_ShellAndPythonTasks(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	dir := writeProject(t, map[string]string{
		"kiln.yaml": projectFile("ops", "params:\n  greeting: hello ${bizdate_nodash}\n"),
		"tasks/hello.py": "#!/usr/bin/env python3\n# kiln:\n#   timeout: 1m\nimport os\n" +
			"print('py', os.environ['KILN_BIZDATE'], os.environ['KILN_GREETING'], '${bizdate-1d}')\n",
		"tasks/slow.sh": "# kiln:\n#   timeout: 2s\nsleep 300 &\necho $! > " + pidFile + "\necho started child\nwait\n",
		"tasks/hog.py":  "# kiln:\n#   memory_limit_mb: 200\nx = bytearray(600 * 1024 * 1024)\nprint('allocated', len(x))\n",
		"tasks/fail.sh": "echo about to fail\nexit 3\n",
	})
	k.mustCLI("apply", dir)

	out := k.mustCLI("run", "hello", "-p", "ops", "--bizdate", "2024-03-01", "--wait")
	if !strings.Contains(out, "py 2024-03-01 hello 20240301 2024-02-29") {
		t.Fatalf("python output: %s", out)
	}

	start := time.Now()
	r := k.cli("run", "slow", "-p", "ops", "--bizdate", "2024-03-01", "--wait")
	if r.code != 1 || !strings.Contains(r.stdout, "timed out after 2s") {
		t.Fatalf("timeout: exit %d\n%s", r.code, r.stdout)
	}
	if time.Since(start) > time.Minute {
		t.Fatalf("timeout took %s", time.Since(start))
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitGone(t, pid)

	r = k.cli("run", "hog", "-p", "ops", "--bizdate", "2024-03-01", "--wait")
	if r.code != 1 || strings.Contains(r.stdout, "allocated") || !strings.Contains(r.stdout, "MemoryError") {
		t.Fatalf("memory limit not applied: exit %d\n%s", r.code, r.stdout)
	}
	r = k.cli("run", "fail", "-p", "ops", "--bizdate", "2024-03-01", "--wait")
	if r.code != 1 || !strings.Contains(r.stdout, "about to fail") || !strings.Contains(r.stdout, "exit status 3") {
		t.Fatalf("failing shell: exit %d\n%s", r.code, r.stdout)
	}
}

// waitGone waits for a process to disappear (it was killed; the kernel
// reaps it once its parent, init, does).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); strings.Contains(string(b), ") Z ") {
			return // a zombie is dead
		}
		if time.Now().After(deadline) {
			t.Fatalf("child process %d survived the timeout", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAPI_AuthAndRoles(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := salesProject(t)
	k.mustCLI("apply", dir)
	ctx := context.Background()

	resp, err := http.Get("http://" + k.addr + "/api/v1/projects/shop/tasks")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error api.Error `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 401 || body.Error.Code != "unauthenticated" {
		t.Fatalf("no token: %d %+v", resp.StatusCode, body)
	}
	if r := k.cliAs("kiln_wrong", "task", "list", "-p", "shop"); r.code != 1 || !strings.Contains(r.stderr, "kiln login") {
		t.Fatalf("bad token: %+v", r)
	}

	admin := k.client()
	if err := admin.JSON(ctx, "POST", "/api/v1/users", api.CreateUserRequest{Name: "vera", Password: "viewer-pass-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.JSON(ctx, "PUT", "/api/v1/projects/shop/members/vera", api.SetMemberRequest{Role: meta.RoleViewer}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := client.New(k.addr, "").Login(ctx, "vera", "viewer-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(k.addr, "").Login(ctx, "vera", "wrong-password"); !isStatus(err, 401) {
		t.Fatalf("wrong password: %v", err)
	}
	// A viewer reads but may not change tasks, run them or query.
	if out := k.cliAs(login.Token, "task", "list", "-p", "shop"); out.code != 0 {
		t.Fatalf("viewer list: %+v", out)
	}
	files, _ := readFiles(dir)
	_, err = client.New(k.addr, login.Token).Apply(ctx, "shop", &api.ApplyRequest{Files: files})
	if !isStatus(err, 403) {
		t.Fatalf("viewer apply: %v", err)
	}
	if r := k.cliAs(login.Token, "run", "sales", "-p", "shop", "--bizdate", "2024-03-01"); r.code != 1 || !strings.Contains(r.stderr, "viewer") {
		t.Fatalf("viewer run: %+v", r)
	}
	// Data source secrets never come back.
	var ds []map[string]any
	if err := admin.JSON(ctx, "GET", "/api/v1/projects/shop/datasources", nil, &ds); err != nil || len(ds) != 1 {
		t.Fatalf("datasources: %v %v", ds, err)
	}
	if _, ok := ds[0]["secret_enc"]; ok {
		t.Fatal("secret returned")
	}
	// Changes are audited.
	var audit []meta.AuditEntry
	if err := admin.JSON(ctx, "GET", "/api/v1/projects/shop/audit", nil, &audit); err != nil || len(audit) == 0 {
		t.Fatalf("audit: %v %v", audit, err)
	}
}

func TestAPI_OpenAPIAndErrors(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	resp, err := http.Get("http://" + k.addr + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if doc.OpenAPI != "3.0.3" || doc.Paths["/api/v1/projects/{project}/tasks/{task}/runs"]["post"] == nil ||
		doc.Paths["/api/v1/instances/{id}/log"]["get"] == nil {
		t.Fatalf("openapi document incomplete: %v", doc.Paths)
	}
	c := k.client()
	err = c.JSON(context.Background(), "GET", "/api/v1/projects/nope/tasks", nil, nil)
	if !isStatus(err, 404) {
		t.Fatalf("missing project: %v", err)
	}
	err = c.JSON(context.Background(), "GET", "/api/v1/instances/abc", nil, nil)
	if !isStatus(err, 400) {
		t.Fatalf("bad id: %v", err)
	}
	if r := k.cli("run", "x", "--bizdate", "March"); r.code != 2 {
		t.Fatalf("bad usage exit %d", r.code)
	}
}

func TestServer_RestartKeepsState(t *testing.T) {
	data := t.TempDir()
	k := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: salesProject(t)})
	k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	k.stop()
	k2 := startKiln(t, cli.ServerOptions{DataDir: data})
	out := k2.mustCLI("sql", "-p", "shop", "SELECT count(*) AS n FROM dwd.sales", "--format", "csv")
	if out != "n\n5\n" {
		t.Fatalf("warehouse after restart: %s", out)
	}
	if out := k2.mustCLI("instance", "list", "-p", "shop"); !strings.Contains(out, "success") {
		t.Fatalf("instances after restart: %s", out)
	}
}

func readFiles(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	return files, err
}

func isStatus(err error, status int) bool {
	var ce *client.Error
	return errorsAs(err, &ce) && ce.Status == status
}
