package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

// wantExit runs a CLI call that must end with code and print want (on
// stdout or stderr).
func (k *kiln) wantExit(code int, want string, args ...string) result {
	k.t.Helper()
	r := k.cli(args...)
	if r.code != code || !strings.Contains(r.stdout+r.stderr, want) {
		k.t.Errorf("kiln %s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, want, r.stdout, r.stderr)
	}
	return r
}

// mustJSON runs a CLI call with --json that must succeed and decodes its output.
func (k *kiln) mustJSON(out any, args ...string) {
	k.t.Helper()
	s := k.mustCLI(append(args, "--json")...)
	if err := json.Unmarshal([]byte(s), out); err != nil {
		k.t.Fatalf("kiln %s --json: %v\n%s", strings.Join(args, " "), err, s)
	}
}

// hasRow says whether a printed table has a line starting with these
// columns (tabwriter's padding aside).
func hasRow(out string, cols ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cols) && slices.Equal(f[:len(cols)], cols) {
			return true
		}
	}
	return false
}

// TestCLI_AdminOpsSummary: kiln ops summary grouped, filtered, cut to the
// top groups and over every project, with its bad usages (exit 2) and the
// server's refusals (exit 1 with its message).
func TestCLI_AdminOpsSummary(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", writeProject(t, map[string]string{
		"kiln.yaml":  projectFile("dash", ""),
		"tasks/a.sh": "# kiln:\n#   schedule: \"0 2 * * *\"\n#   owner: ann\n#   tier: core\necho a\n",
		"tasks/b.sh": "# kiln:\n#   schedule: \"0 2 * * *\"\n#   owner: bob\n#   upstreams: [a]\necho b\n",
	}))
	k.mustCLI("backfill", "a", "--from", "2024-02-01", "--to", "2024-02-02", "--downstream", "-p", "dash")
	k.waitInstances("dash", map[string][]string{"from": {"2024-02-01"}, "to": {"2024-02-02"}}, 4)
	days := []string{"-p", "dash", "--from", "2024-02-01", "--to", "2024-02-02"}
	sum := func(args ...string) string {
		return k.mustCLI(append(append([]string{"ops", "summary"}, days...), args...)...)
	}
	// groups lists "bizdate:group=total" of a summary read with --json.
	groups := func(args ...string) string {
		var rows []scheduler.Summary
		k.mustJSON(&rows, append(append([]string{"ops", "summary"}, days...), args...)...)
		var out []string
		for _, s := range rows {
			g := s.Group
			if s.Others {
				g = "(others)"
			}
			out = append(out, s.Bizdate+":"+g+"="+strconv.Itoa(s.Total))
		}
		return strings.Join(out, " ")
	}

	out := sum()
	if first := strings.Fields(strings.SplitN(out, "\n", 2)[0]); first[0] != "BIZDATE" || first[1] != "TOTAL" || !hasRow(out, "2024-02-02", "2", "2") {
		t.Errorf("summary without grouping:\n%s", out)
	}
	out = sum("--group-by", "owner")
	if first := strings.Fields(out); first[1] != "OWNER" || !hasRow(out, "2024-02-01", "ann", "1", "1") || !hasRow(out, "2024-02-02", "bob", "1", "1") {
		t.Errorf("summary by owner:\n%s", out)
	}
	t.Logf("kiln ops summary --group-by owner:\n%s", out)
	if out = sum("--group-by", "owner", "--top", "1"); !hasRow(out, "2024-02-01", "(others)", "1") {
		t.Errorf("top 1 by owner:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--group-by", "tier"}, "2024-02-01:core=1 2024-02-01:normal=1 2024-02-02:core=1 2024-02-02:normal=1"},
		{[]string{"--group-by", "owner", "--tier", "core"}, "2024-02-01:ann=1 2024-02-02:ann=1"},
		{[]string{"--group-by", "tier", "--owner", "bob"}, "2024-02-01:normal=1 2024-02-02:normal=1"},
		{[]string{"--group-by", "owner", "--top", "1"}, "2024-02-01:ann=1 2024-02-01:(others)=1 2024-02-02:ann=1 2024-02-02:(others)=1"},
	} {
		if got := groups(c.args...); got != c.want {
			t.Errorf("ops summary %s: %s, want %s", strings.Join(c.args, " "), got, c.want)
		}
	}

	// Across projects: grouped by project unless told otherwise.
	all := []string{"ops", "summary", "--all-projects", "--from", "2024-02-01", "--to", "2024-02-02"}
	if out = k.mustCLI(all...); strings.Fields(out)[1] != "PROJECT" || !hasRow(out, "2024-02-01", "dash", "2", "2") {
		t.Errorf("all projects:\n%s", out)
	}
	var rows []scheduler.Summary
	if k.mustJSON(&rows, append(all, "--group-by", "owner", "--owner", "bob")...); len(rows) != 2 || rows[0].Group != "bob" || rows[0].Total != 1 {
		t.Errorf("all projects by owner, only bob: %+v", rows)
	}

	k.wantExit(cli.ExitUsage, `--group-by must be owner, tier, project or none, got "team"`, append(days, "ops", "summary", "--group-by", "team")...)
	k.wantExit(cli.ExitUsage, "--top must be 0", "ops", "summary", "-p", "dash", "--group-by", "owner", "--top", "-1")
	k.wantExit(cli.ExitUsage, "--top needs --group-by", "ops", "summary", "-p", "dash", "--top", "2")
	k.wantExit(cli.ExitUsage, "invalid argument", "ops", "summary", "-p", "dash", "--top", "many")
	k.wantExit(cli.ExitUsage, "exclude each other", "ops", "summary", "-p", "dash", "--all-projects")
	k.wantExit(cli.ExitFailure, "top must be between 0 (all groups) and 100", "ops", "summary", "-p", "dash", "--group-by", "owner", "--top", "101")
	k.wantExit(cli.ExitFailure, `from must be a date like 2024-03-01, got "feb"`, "ops", "summary", "--all-projects", "--from", "feb")
	k.wantExit(cli.ExitFailure, "project", "ops", "summary", "-p", "nope")
}

// TestCLI_AdminPools: kiln pool list, set and delete; what is running and
// queued in a pool; bad slots and names refused before the call (exit 2),
// the server's refusals printed (exit 1).
func TestCLI_AdminPools(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", writeProject(t, map[string]string{
		"kiln.yaml":   projectFile("shop", ""),
		"tasks/p1.sh": "# kiln:\n#   pool: slow\nsleep 2\n",
	}))
	var pools []api.PoolInfo
	if k.mustJSON(&pools, "pool", "list"); len(pools) != 1 || pools[0] != (api.PoolInfo{Name: "duckdb", Slots: 2}) {
		t.Fatalf("pools of a new project: %+v", pools)
	}
	if out := k.mustCLI("pool", "set", "slow", "1"); !strings.Contains(out, "pool slow: 1 slots") {
		t.Errorf("set: %s", out)
	}
	// Two runs in a one-slot pool: one runs while the other queues.
	for _, day := range []string{"2026-01-01", "2026-01-02"} {
		k.mustCLI("run", "p1", "--bizdate", day)
	}
	deadline := time.Now().Add(30 * time.Second)
	var out string
	for !hasRow(out, "slow", "1", "1", "1", "project") {
		out = k.mustCLI("pools", "list")
		if time.Now().After(deadline) {
			t.Fatalf("the slow pool never showed one running and one queued:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("kiln pool list:\n%s", out)
	if !strings.HasPrefix(out, "POOL") || !hasRow(out, "POOL", "SLOTS", "RUNNING", "QUEUED", "SET", "BY") || !hasRow(out, "duckdb", "2", "0", "0", "default") {
		t.Errorf("pool list:\n%s", out)
	}

	k.wantExit(cli.ExitUsage, "pool slow: slots must be at least 1, got 0", "pool", "set", "slow", "0")
	k.wantExit(cli.ExitUsage, `SLOTS is a whole number of at least 1, got "many"`, "pool", "set", "slow", "many")
	k.wantExit(cli.ExitUsage, `pool name "a b"`, "pool", "set", "a b", "1")
	k.wantExit(cli.ExitUsage, "accepts 2 arg(s)", "pool", "set", "slow")
	dev := k.memberOf(t, "shop", "dora", meta.RoleDeveloper)
	if r := k.cliAs(dev.Token, "pool", "set", "slow", "3"); r.code != cli.ExitFailure || !strings.Contains(r.stderr, "does not allow") {
		t.Errorf("a developer sets slots: %+v", r)
	}
	if r := k.cliAs(dev.Token, "pool", "list"); r.code != 0 || !strings.Contains(r.stdout, "slow") {
		t.Errorf("a developer lists pools: %+v", r)
	}
	if out := k.mustCLI("pool", "delete", "slow"); !strings.Contains(out, "pool slow: slots removed") {
		t.Errorf("delete: %s", out)
	}
	k.wantExit(cli.ExitFailure, "project shop sets no slots for pool slow", "pool", "delete", "slow")
	k.waitInstances("shop", map[string][]string{"task": {"p1"}}, 2)
}

// TestCLI_AdminAlerts: kiln alert config set (YAML and JSON files) and
// show (YAML that set reads back), oncall and channel tests against a real
// receiver; malformed files refused before the call (exit 2), settings the
// server refuses and failing channels exit 1 with the reason.
func TestCLI_AdminAlerts(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	got := make(chan map[string]any, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		got <- m
	}))
	defer recv.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bot disabled", http.StatusForbidden)
	}))
	defer broken.Close()
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	if out := k.mustCLI("alert", "config", "show"); strings.TrimSpace(out) != "# no alert settings" {
		t.Errorf("show of no settings: %q", out)
	}
	if out := k.mustCLI("alerts", "oncall"); !strings.Contains(out, "no rota") {
		t.Errorf("oncall without a rota: %q", out)
	}
	settings := file("alerts.yaml", `timezone: Asia/Shanghai
quiet_hours: "22:00-08:00"
channels:
  - name: ops
    kind: webhook
    url: `+recv.URL+`
  - name: down
    kind: webhook
    url: `+broken.URL+`
  - name: signed
    kind: webhook
    url: `+recv.URL+`
    secret_env: KILN_ALERT_TEST_UNSET_SECRET
policies:
  - name: core
    tiers: [core]
    channels: [ops]
rota:
  people: [ann, ben, cat]
  start: "2024-03-01"
  handover: "09:00"
dedup_window: 10m
`)
	if out := k.mustCLI("alerts", "config", "set", settings); !strings.Contains(out, "saved: 3 channel(s), 1 policy(ies), a rota of 3") ||
		!strings.Contains(out, "# not set on the server: KILN_ALERT_TEST_UNSET_SECRET") {
		t.Errorf("set: %s", out)
	}
	shown := k.mustCLI("alert", "config", "show")
	t.Logf("kiln alert config show:\n%s", shown)
	for _, want := range []string{"name: ops", "url: " + recv.URL, "tiers:\n      - core", "people:\n    - ann", "dedup_window: 10m0s", "quiet_hours: 22:00-08:00"} {
		if !strings.Contains(shown, want) {
			t.Errorf("show lacks %q:\n%s", want, shown)
		}
	}
	// What show prints, set reads back unchanged; a JSON file works as well.
	var before, after api.AlertSettings
	k.mustJSON(&before, "alert", "config", "show")
	k.mustCLI("alert", "config", "set", file("shown.yaml", shown))
	k.mustJSON(&after, "alert", "config", "show")
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if string(b1) != string(b2) || before.Env["KILN_ALERT_TEST_UNSET_SECRET"] {
		t.Errorf("round trip through show and set:\n%s\n%s", b1, b2)
	}
	js, _ := json.Marshal(before.Config)
	k.mustCLI("alert", "config", "set", file("alerts.json", string(js)))
	k.mustJSON(&after, "alert", "config", "show")
	if b2, _ = json.Marshal(after); string(b1) != string(b2) {
		t.Errorf("set from JSON:\n%s\n%s", b1, b2)
	}

	out := k.mustCLI("alert", "oncall", "--next", "2")
	t.Logf("kiln alert oncall --next 2:\n%s", out)
	if !strings.Contains(out, "on call now: ") || !strings.Contains(out, "Asia/Shanghai") || strings.Count(out, " 09:00") != 6 {
		t.Errorf("oncall:\n%s", out)
	}
	k.wantExit(cli.ExitUsage, "--next must be between 0 and 50", "alert", "oncall", "--next", "99")

	if out := k.mustCLI("alert", "test", "ops"); !strings.Contains(out, "channel ops: test message delivered") {
		t.Errorf("test ops: %s", out)
	}
	select {
	case m := <-got:
		if !strings.Contains(m["title"].(string), "test message to channel ops") {
			t.Errorf("the receiver got %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the test message did not arrive")
	}
	r := k.wantExit(cli.ExitFailure, "HTTP 403", "alert", "test", "down")
	t.Logf("kiln alert test down: %s", r.stderr)
	k.wantExit(cli.ExitFailure, "KILN_ALERT_TEST_UNSET_SECRET (its secret) is not set on the server", "alert", "test", "signed")
	k.wantExit(cli.ExitFailure, "no alert channel named nope", "alert", "test", "nope")
	k.wantExit(cli.ExitUsage, "accepts 1 arg(s)", "alert", "test")

	// Malformed files: nothing is sent, the settings stay.
	k.wantExit(cli.ExitUsage, "sequence end token ']' not found", "alert", "config", "set", file("broken.yaml", "channels: [\n"))
	k.wantExit(cli.ExitUsage, `unknown field "chanels"`, "alert", "config", "set", file("typo.yaml", "chanels: []\n"))
	k.wantExit(cli.ExitUsage, "sequence was used where mapping is expected", "alert", "config", "set", file("list.yaml", "- ops\n"))
	k.wantExit(cli.ExitUsage, "no such file", "alert", "config", "set", filepath.Join(dir, "missing.yaml"))
	// Well-formed but wrong: the server's checks, as for kiln.yaml.
	k.wantExit(cli.ExitFailure, `unknown kind "pager"`, "alert", "config", "set", file("pager.yaml", "channels:\n  - name: x\n    kind: pager\n    url: http://x\n"))
	k.wantExit(cli.ExitFailure, "policy core: unknown channel nope", "alert", "config", "set",
		file("policy.yaml", "channels:\n  - {name: ops, kind: webhook, url: http://x}\npolicies:\n  - {name: core, channels: [nope]}\n"))
	k.mustJSON(&after, "alert", "config", "show")
	if len(after.Config.Channels) != 3 {
		t.Errorf("refused settings changed the saved ones: %+v", after.Config)
	}
	dev := k.memberOf(t, "shop", "dora", meta.RoleDeveloper)
	if r := k.cliAs(dev.Token, "alert", "config", "set", settings); r.code != cli.ExitFailure || !strings.Contains(r.stderr, "does not allow manage_members") {
		t.Errorf("a developer sets alert settings: %+v", r)
	}
	// An empty file clears them.
	k.mustCLI("alert", "config", "set", file("empty.yaml", ""))
	if out := k.mustCLI("alert", "config", "show"); strings.TrimSpace(out) != "# no alert settings" {
		t.Errorf("show after clearing: %q", out)
	}
}

// TestCLI_AdminDataSourceTest: kiln datasource test prints ok, latency and
// version, or the driver's error with exit 1; an unknown name is the
// server's 404 message.
func TestCLI_AdminDataSourceTest(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", writeProject(t, map[string]string{
		"kiln.yaml": `name: conn
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb
  pg_down:
    kind: postgres
    dsn: postgres://postgres@127.0.0.1:1/postgres?sslmode=disable
`,
		"tasks/t.sql": "/* kiln\ntarget: t\nwrite_mode: overwrite\n*/\nSELECT 1 AS id\n",
	}))
	out := k.mustCLI("datasource", "test", "warehouse")
	t.Logf("kiln datasource test warehouse: %s", out)
	if !strings.HasPrefix(out, "warehouse: ok in ") || !strings.Contains(out, " ms, version v1.") {
		t.Errorf("test warehouse: %q", out)
	}
	var res api.DataSourceTest
	if k.mustJSON(&res, "datasources", "test", "warehouse"); !res.OK || !strings.HasPrefix(res.Version, "v1.") {
		t.Errorf("test warehouse --json: %+v", res)
	}
	r := k.wantExit(cli.ExitFailure, "error: data source pg_down: ", "datasource", "test", "pg_down")
	t.Logf("kiln datasource test pg_down: %s", r.stderr)
	if !strings.Contains(r.stderr, "(after ") || r.stdout != "" {
		t.Errorf("test pg_down: %+v", r)
	}
	if r := k.cli("datasource", "test", "pg_down", "--json"); r.code != cli.ExitFailure || !strings.Contains(r.stdout, `"ok": false`) {
		t.Errorf("test pg_down --json: %+v", r)
	}
	k.wantExit(cli.ExitFailure, `project conn has no data source "no_such"`, "datasource", "test", "no_such")
	k.wantExit(cli.ExitUsage, "accepts 1 arg(s)", "datasource", "test")
}
