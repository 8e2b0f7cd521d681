package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// memberOf creates a user with a role in a project and returns a client
// signed in as them.
func (k *kiln) memberOf(t *testing.T, project, name string, role meta.Role) *client.Client {
	t.Helper()
	ctx := context.Background()
	admin := k.client()
	if err := admin.JSON(ctx, "POST", "/api/v1/users", api.CreateUserRequest{Name: name, Password: name + "-password-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.JSON(ctx, "PUT", "/api/v1/projects/"+project+"/members/"+name, api.SetMemberRequest{Role: role}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := client.New(k.addr, "").Login(ctx, name, name+"-password-1")
	if err != nil {
		t.Fatal(err)
	}
	return client.New(k.addr, login.Token)
}

// apiErr asserts that err is an API error with this status whose message
// contains want.
func apiErr(t *testing.T, what string, err error, status int, want string) {
	t.Helper()
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != status || !strings.Contains(ce.Message, want) {
		t.Errorf("%s: got %v, want HTTP %d with %q", what, err, status, want)
	}
}

// Alert settings from the web UI: bad input refused with a clear message,
// a webhook channel saved and tested against a real receiver, the rota's
// on-call person, owners only, audited; and a later apply keeps them unless
// kiln.yaml has its own alerts: section.
func TestAPI_AlertSettings(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := salesProject(t)
	k.mustCLI("apply", dir)
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/alerts/"

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

	var st api.AlertSettings
	if err := c.JSON(ctx, "GET", base+"config", nil, &st); err != nil || len(st.Config.Channels) != 0 {
		t.Fatalf("empty settings: %+v %v", st, err)
	}
	hook := meta.AlertChannel{Name: "ops", Kind: "webhook", URL: recv.URL}
	for _, bad := range []struct {
		name string
		cfg  meta.AlertConfig
		want string
	}{
		{"bad kind", meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "x", Kind: "pager", URL: recv.URL}}}, `unknown kind "pager"`},
		{"unknown channel", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, Policies: []meta.AlertPolicy{{Name: "core", Channels: []string{"nope"}}}}, "policy core: unknown channel nope"},
		{"quiet hours", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, QuietHours: "22:00"}, "quiet_hours: want HH:MM-HH:MM"},
		{"quiet time", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, QuietHours: "22-08"}, `quiet_hours: want a time like 18:00, got "22"`},
		{"rota date", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, Rota: &meta.Rota{People: []string{"ann"}, Start: "March"}}, "rota start"},
		{"rota in 1600", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, Rota: &meta.Rota{People: []string{"ann"}, Start: "1600-01-01"}}, "between the years 1970 and 2999"},
		{"server secret", meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "x", Kind: "webhook", URLEnv: "KILN_ADMIN_TOKEN"}}}, "may only read server environment variables named KILN_ALERT_"},
		{"no url", meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "x", Kind: "slack"}}}, "slack needs url or url_env"},
		{"timezone", meta.AlertConfig{Channels: []meta.AlertChannel{hook}, Timezone: "Mars/Base"}, "timezone"},
	} {
		err := c.JSON(ctx, "PUT", base+"config", bad.cfg, nil)
		apiErr(t, bad.name, err, http.StatusBadRequest, bad.want)
	}

	t.Setenv("KILN_ALERT_TEST_FEISHU_SECRET", "s3cret-value")
	cfg := meta.AlertConfig{
		Timezone: "Asia/Shanghai",
		Channels: []meta.AlertChannel{hook, {Name: "down", Kind: "webhook", URL: broken.URL},
			{Name: "feishu", Kind: "feishu", URL: recv.URL, SecretEnv: "KILN_ALERT_TEST_FEISHU_SECRET"},
			{Name: "mail", Kind: "email", SMTP: "127.0.0.1:1", From: "k@example.com", To: []string{"a@example.com"}, PasswordEnv: "KILN_ALERT_TEST_UNSET_PASSWORD"}},
		Policies:   []meta.AlertPolicy{{Name: "core", Tiers: []meta.Tier{meta.TierCore}, Channels: []string{"ops"}, People: []string{"lead"}}},
		QuietHours: "22:00-08:00",
		Rota:       &meta.Rota{People: []string{"ann", "ben", "cat"}, Start: "2024-03-01", Handover: "09:00"},
	}
	if err := c.JSON(ctx, "PUT", base+"config", cfg, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Config.Channels) != 4 || !st.Env["KILN_ALERT_TEST_FEISHU_SECRET"] || st.Env["KILN_ALERT_TEST_UNSET_PASSWORD"] {
		t.Fatalf("saved settings: %+v", st)
	}
	raw, _ := json.Marshal(st)
	if strings.Contains(string(raw), "s3cret-value") {
		t.Fatalf("a secret's value leaked: %s", raw)
	}

	var res api.ChannelTestResult
	if err := c.JSON(ctx, "POST", base+"channels/ops/test", nil, &res); err != nil || !res.OK {
		t.Fatalf("test ops: %+v %v", res, err)
	}
	select {
	case m := <-got:
		if m["kind"] != alert.KindTest || !strings.Contains(m["title"].(string), "test message to channel ops") || m["project"] != "shop" {
			t.Fatalf("the receiver got %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the test message did not arrive")
	}
	if err := c.JSON(ctx, "POST", base+"channels/down/test", nil, &res); err != nil || res.OK || !strings.Contains(res.Error, "HTTP 403") {
		t.Fatalf("test of a refusing channel: %+v %v", res, err)
	}
	apiErr(t, "missing channel", c.JSON(ctx, "POST", base+"channels/nope/test", nil, nil), http.StatusNotFound, "no alert channel named nope")

	var oc api.OnCallNow
	if err := c.JSON(ctx, "GET", base+"oncall?next=3", nil, &oc); err != nil {
		t.Fatal(err)
	}
	if oc.Timezone != "Asia/Shanghai" || len(oc.Shifts) != 4 || oc.Person != oc.Shifts[0].Person ||
		!oc.Shifts[0].To.Equal(oc.Shifts[1].From) || oc.Shifts[1].From.Sub(oc.Shifts[0].From) != 24*time.Hour {
		t.Fatalf("on call: %+v", oc)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if h := oc.Shifts[1].From.In(loc); h.Hour() != 9 || h.Minute() != 0 {
		t.Fatalf("hand-over at %s, want 09:00 Asia/Shanghai", h)
	}
	if who, _ := alert.OnCall(cfg.Rota, time.Now(), loc); who != oc.Person {
		t.Fatalf("on call %s, alert.OnCall says %s", oc.Person, who)
	}
	apiErr(t, "next out of range", c.JSON(ctx, "GET", base+"oncall?next=99", nil, nil), http.StatusBadRequest, "next must be between 0 and 50")

	// Only owners change settings or send tests; everyone reads.
	dev := k.memberOf(t, "shop", "dora", meta.RoleDeveloper)
	apiErr(t, "developer PUT", dev.JSON(ctx, "PUT", base+"config", cfg, nil), http.StatusForbidden, "does not allow manage_members")
	apiErr(t, "developer test", dev.JSON(ctx, "POST", base+"channels/ops/test", nil, nil), http.StatusForbidden, "does not allow")
	st = api.AlertSettings{}
	if err := dev.JSON(ctx, "GET", base+"config", nil, &st); err != nil || len(st.Config.Channels) != 4 {
		t.Fatalf("developer reads: %v", err)
	}
	// A developer sees where a channel posts, not its URL (a bot's URL is
	// its credential); the owner sees it whole.
	host := strings.TrimPrefix(recv.URL, "http://")
	for _, ch := range st.Config.Channels {
		if ch.URL != "" && ch.URL != "http://"+host+"/…" && !strings.HasSuffix(ch.URL, "/…") {
			t.Errorf("developer sees channel %s's URL %q", ch.Name, ch.URL)
		}
	}
	var whole api.AlertSettings
	if err := c.JSON(ctx, "GET", base+"config", nil, &whole); err != nil || whole.Config.Channels[0].URL == st.Config.Channels[0].URL {
		t.Errorf("owner's view: %v %q", err, whole.Config.Channels[0].URL)
	}
	if err := dev.JSON(ctx, "GET", base+"oncall", nil, &oc); err != nil || oc.Person == "" {
		t.Fatalf("developer on call: %+v %v", oc, err)
	}
	var audit []meta.AuditEntry
	if err := c.JSON(ctx, "GET", "/api/v1/projects/shop/audit?action=alert.config", nil, &audit); err != nil || len(audit) != 1 ||
		audit[0].Detail != "4 channels, 1 policies, rota of 3" {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	if err := c.JSON(ctx, "GET", "/api/v1/projects/shop/audit?action=alert.test", nil, &audit); err != nil || len(audit) != 2 {
		t.Fatalf("audit of tests: %+v %v", audit, err)
	}

	// kiln.yaml without alerts: keeps the UI's settings; with one, replaces them.
	k.mustCLI("apply", dir)
	st = api.AlertSettings{}
	if err := c.JSON(ctx, "GET", base+"config", nil, &st); err != nil || len(st.Config.Channels) != 4 || st.Config.Rota == nil {
		t.Fatalf("after an apply without alerts: %+v %v", st, err)
	}
	yaml := projectFile("shop", "alerts:\n  channels:\n    - name: file-hook\n      kind: webhook\n      url: "+recv.URL+"\n")
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	k.mustCLI("apply", dir)
	st = api.AlertSettings{}
	if err := c.JSON(ctx, "GET", base+"config", nil, &st); err != nil || len(st.Config.Channels) != 1 || st.Config.Channels[0].Name != "file-hook" || st.Config.Rota != nil {
		t.Fatalf("after an apply with alerts: %+v %v", st, err)
	}
	// An empty settings body clears them.
	st = api.AlertSettings{}
	if err := c.JSON(ctx, "PUT", base+"config", meta.AlertConfig{}, &st); err != nil || len(st.Config.Channels) != 0 {
		t.Fatalf("clear: %+v %v", st, err)
	}
	oc = api.OnCallNow{}
	if err := c.JSON(ctx, "GET", base+"oncall", nil, &oc); err != nil || oc.Person != "" || len(oc.Shifts) != 0 {
		t.Fatalf("on call without a rota: %+v %v", oc, err)
	}
}

// Pools from the console: listed with their slots and counts, set and
// removed by owners only, validated, used by the worker at once (no
// restart), and kept or replaced by a later apply like the alert settings.
func TestAPI_Pools(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	slow := "# kiln:\n#   pool: slow\nsleep 1\n"
	dir := writeProject(t, map[string]string{
		"kiln.yaml":    projectFile("shop", ""),
		"tasks/p1.sh":  slow,
		"tasks/p2.sh":  slow,
		"tasks/one.sh": "# kiln:\n#   pool: etl\necho one\n",
	})
	k.mustCLI("apply", dir)
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/pools"

	var pools []api.PoolInfo
	if err := c.JSON(ctx, "GET", base, nil, &pools); err != nil || len(pools) != 1 || pools[0] != (api.PoolInfo{Name: "duckdb", Slots: 2}) {
		t.Fatalf("pools of a new project: %+v %v", pools, err)
	}
	apiErr(t, "slots 0", c.JSON(ctx, "PUT", base+"/slow", api.SetPoolRequest{Slots: 0}, nil), http.StatusBadRequest, "slots must be at least 1")
	apiErr(t, "bad name", c.JSON(ctx, "PUT", base+"/"+url.PathEscape("a b"), api.SetPoolRequest{Slots: 1}, nil), http.StatusBadRequest, "pool name")
	apiErr(t, "unknown field", c.JSON(ctx, "PUT", base+"/slow", map[string]any{"size": 1}, nil), http.StatusBadRequest, "unknown field")
	apiErr(t, "remove unset", c.JSON(ctx, "DELETE", base+"/slow", nil, nil), http.StatusNotFound, "sets no slots for pool slow")
	dev := k.memberOf(t, "shop", "dora", meta.RoleDeveloper)
	apiErr(t, "developer PUT", dev.JSON(ctx, "PUT", base+"/slow", api.SetPoolRequest{Slots: 3}, nil), http.StatusForbidden, "does not allow")
	apiErr(t, "developer DELETE", dev.JSON(ctx, "DELETE", base+"/duckdb", nil, nil), http.StatusForbidden, "does not allow")

	// One slot: the two slow tasks run one after the other. The worker has
	// read the pools already (it claims every 500 ms), so this also shows it
	// rereads them at once.
	var p api.PoolInfo
	if err := c.JSON(ctx, "PUT", base+"/slow", api.SetPoolRequest{Slots: 1}, &p); err != nil || p != (api.PoolInfo{Name: "slow", Slots: 1, Configured: true}) {
		t.Fatalf("set slow: %+v %v", p, err)
	}
	runBoth := func(day string) (a, b *meta.Instance) {
		t.Helper()
		for _, task := range []string{"p1", "p2"} {
			if err := c.JSON(ctx, "POST", "/api/v1/projects/shop/tasks/"+task+"/runs", api.RunRequest{Bizdate: day}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// While they run, the pool shows one running and one queued.
		deadline := time.Now().Add(30 * time.Second)
		for seen := false; !seen; {
			if err := dev.JSON(ctx, "GET", base, nil, &pools); err != nil {
				t.Fatal(err)
			}
			for _, x := range pools {
				seen = seen || x.Name == "slow" && x.Running+x.Queued > 0
			}
			if time.Now().After(deadline) {
				t.Fatalf("the slow pool never showed its instances: %+v", pools)
			}
			time.Sleep(20 * time.Millisecond)
		}
		is := k.waitInstances("shop", url.Values{"from": {day}, "to": {day}}, 2)
		return is[0], is[1]
	}
	overlap := func(a, b *meta.Instance) bool {
		return a.StartedAt.Before(*b.EndedAt) && b.StartedAt.Before(*a.EndedAt)
	}
	a, b := runBoth("2026-01-15")
	if a.State != meta.StateSuccess || b.State != meta.StateSuccess || overlap(a, b) {
		t.Fatalf("one slot: %s %s–%s, %s %s–%s overlap", a.TaskName, a.StartedAt, a.EndedAt, b.TaskName, b.StartedAt, b.EndedAt)
	}
	if err := c.JSON(ctx, "PUT", base+"/slow", api.SetPoolRequest{Slots: 2}, &p); err != nil || p.Slots != 2 {
		t.Fatalf("raise slow: %+v %v", p, err)
	}
	if a, b = runBoth("2026-01-16"); !overlap(a, b) {
		t.Fatalf("two slots: %s %s–%s, %s %s–%s ran one after the other", a.TaskName, a.StartedAt, a.EndedAt, b.TaskName, b.StartedAt, b.EndedAt)
	}
	if err := c.JSON(ctx, "GET", base, nil, &pools); err != nil || len(pools) != 2 || pools[1] != (api.PoolInfo{Name: "slow", Slots: 2, Configured: true}) {
		t.Fatalf("pools: %+v %v", pools, err)
	}

	// An apply without pools: keeps them; with one, replaces them; removing
	// the last configured one leaves the defaults.
	k.mustCLI("apply", dir)
	if err := c.JSON(ctx, "GET", base, nil, &pools); err != nil || len(pools) != 2 || pools[1].Slots != 2 {
		t.Fatalf("after an apply without pools: %+v %v", pools, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(projectFile("shop", "pools:\n  etl: 3\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	k.mustCLI("apply", dir)
	if err := c.JSON(ctx, "GET", base, nil, &pools); err != nil || len(pools) != 2 || pools[1] != (api.PoolInfo{Name: "etl", Slots: 3, Configured: true}) {
		t.Fatalf("after an apply with pools: %+v %v", pools, err)
	}
	if err := c.JSON(ctx, "DELETE", base+"/etl", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "GET", base, nil, &pools); err != nil || len(pools) != 1 || pools[0].Name != "duckdb" {
		t.Fatalf("after removing etl: %+v %v", pools, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(projectFile("shop", "pools:\n  etl: 0\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := k.cli("apply", dir); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "slots must be at least 1") {
		t.Fatalf("apply with pools etl: 0: %+v", r)
	}
}

// Two owners editing the alert settings at once: a PUT with If-Match of the
// version it loaded is refused with 412 when the other saved first, and
// nothing is stored; the version is in the body and the ETag of GET and PUT.
// A PUT without If-Match still replaces the settings.
func TestAPI_AlertSettingsIfMatch(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c, ctx := k.client(), context.Background()
	path := "/api/v1/projects/shop/alerts/config"
	put := func(cfg meta.AlertConfig, match string) (int, string, api.AlertSettings) {
		t.Helper()
		b, _ := json.Marshal(cfg)
		req, _ := http.NewRequest("PUT", "http://"+k.addr+path, strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		if match != "" {
			req.Header.Set("If-Match", match)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var st api.AlertSettings
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("ETag") != `"`+st.Version+`"` {
				t.Errorf("PUT ETag %q, version %q", resp.Header.Get("ETag"), st.Version)
			}
		}
		return resp.StatusCode, string(body), st
	}
	var loaded api.AlertSettings
	if err := c.JSON(ctx, "GET", path, nil, &loaded); err != nil || loaded.Version == "" {
		t.Fatalf("GET: %+v %v", loaded, err)
	}
	ann := meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "ann", Kind: "webhook", URL: "http://127.0.0.1:9/ann"}}}
	ben := meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "ben", Kind: "webhook", URL: "http://127.0.0.1:9/ben"}}}
	// Ann saves first, naming what she loaded (quoted, as an ETag).
	code, body, annSaved := put(ann, `"`+loaded.Version+`"`)
	if code != http.StatusOK || annSaved.Version == loaded.Version {
		t.Fatalf("Ann's save: %d %s", code, body)
	}
	// Ben loaded the same version; his save is refused.
	code, body, _ = put(ben, loaded.Version)
	if code != http.StatusPreconditionFailed || !strings.Contains(body, "alert_settings_changed") || !strings.Contains(body, "load them again") {
		t.Fatalf("Ben's stale save: %d %s", code, body)
	}
	var now api.AlertSettings
	if err := c.JSON(ctx, "GET", path, nil, &now); err != nil || now.Version != annSaved.Version ||
		len(now.Config.Channels) != 1 || now.Config.Channels[0].Name != "ann" {
		t.Fatalf("after the refused save: %+v %v", now, err)
	}
	// Loaded again, Ben's save goes through; without If-Match a save is
	// unconditional.
	if code, body, _ = put(ben, `W/"`+now.Version+`"`); code != http.StatusOK {
		t.Fatalf("Ben's save after a reload: %d %s", code, body)
	}
	if code, body, _ = put(ann, ""); code != http.StatusOK {
		t.Fatalf("a save without If-Match: %d %s", code, body)
	}
}
