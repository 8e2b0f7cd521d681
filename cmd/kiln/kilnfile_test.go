package main

import (
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// A server started with --project writes alert settings and pools set
// through the API into the alerts: and pools: sections of the folder's
// kiln.yaml, every other line kept, so a restart (which applies the folder
// again) keeps them instead of going back to the file's old sections.
func TestServer_AlertsAndPoolsWriteBackIntoKilnYAML(t *testing.T) {
	head := "# shop: kept in git, this comment stays\n" + projectFile("shop", "")
	orig := head + "pools:   # per pool\n  etl: 4\n# end of file\n"
	data := t.TempDir()
	dir := writeProject(t, map[string]string{"kiln.yaml": orig, "tasks/one.sh": "echo one\n"})
	kilnYAML := filepath.Join(dir, "kiln.yaml")
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(kilnYAML)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	load := func() *project.Project {
		t.Helper()
		p, probs := project.Load(os.DirFS(dir))
		if len(probs) > 0 {
			t.Fatalf("the folder does not load: %v\n%s", probs, read())
		}
		return p
	}
	k := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/"

	if err := c.JSON(ctx, "PUT", base+"pools/slow", api.SetPoolRequest{Slots: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != head+"pools:\n  etl: 4\n  slow: 2\n# end of file\n" {
		t.Fatalf("kiln.yaml after PUT pools/slow:\n%s", got)
	}
	cfg := meta.AlertConfig{
		Timezone:    "Asia/Shanghai",
		Channels:    []meta.AlertChannel{{Name: "ops", Kind: "webhook", URL: "http://127.0.0.1:9/hook", SecretEnv: "KILN_ALERT_OPS_SECRET"}},
		Policies:    []meta.AlertPolicy{{Name: "core", Tiers: []meta.Tier{meta.TierCore}, Channels: []string{"ops"}}},
		QuietHours:  "22:00-08:00",
		DedupWindow: meta.Duration(45 * time.Minute),
		Rota:        &meta.Rota{People: []string{"ann", "ben"}, Start: "2024-03-01", Handover: "09:00"},
	}
	if err := c.JSON(ctx, "PUT", base+"alerts/config", cfg, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "DELETE", base+"pools/etl", nil, nil); err != nil {
		t.Fatal(err)
	}
	want := head + "pools:\n  slow: 2\n# end of file\nalerts:\n"
	if got := read(); !strings.HasPrefix(got, want) || !strings.Contains(got, "  dedup_window: 45m\n") {
		t.Fatalf("kiln.yaml, want it to start with\n%s\ngot\n%s", want, got)
	}
	p := load()
	if !maps.Equal(p.Config.Pools, map[string]int{"slow": 2}) || !reflect.DeepEqual(p.Config.Alerts, &cfg) {
		t.Fatalf("the folder loads pools %v, alerts %+v", p.Config.Pools, p.Config.Alerts)
	}

	// A kiln.yaml that would not read back is not touched, and nothing is
	// stored: the request says why.
	good := read()
	bad := good + "colour: blue\n"
	if err := os.WriteFile(kilnYAML, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	apiErr(t, "broken kiln.yaml", c.JSON(ctx, "PUT", base+"pools/fast", api.SetPoolRequest{Slots: 3}, nil),
		http.StatusConflict, `its kiln.yaml cannot take the new pools: section: kiln.yaml has 1 problem(s), fix them first: kiln.yaml:`)
	apiErr(t, "broken kiln.yaml", c.JSON(ctx, "PUT", base+"alerts/config", meta.AlertConfig{}, nil), http.StatusConflict, `unknown key "colour"`)
	var pools []api.PoolInfo
	if err := c.JSON(ctx, "GET", base+"pools", nil, &pools); err != nil || len(pools) != 2 || pools[1] != (api.PoolInfo{Name: "slow", Slots: 2, Configured: true}) {
		t.Fatalf("pools after a refused PUT: %+v %v", pools, err)
	}
	if got := read(); got != bad {
		t.Fatalf("a refused change touched kiln.yaml:\n%s", got)
	}
	if err := os.WriteFile(kilnYAML, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	k.stop()

	// The restart applies the folder and keeps the UI's changes.
	k2 := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	c2 := k2.client()
	if err := c2.JSON(ctx, "GET", base+"pools", nil, &pools); err != nil || len(pools) != 2 || pools[1] != (api.PoolInfo{Name: "slow", Slots: 2, Configured: true}) {
		t.Fatalf("pools after restart: %+v %v", pools, err)
	}
	var st api.AlertSettings
	if err := c2.JSON(ctx, "GET", base+"alerts/config", nil, &st); err != nil || !reflect.DeepEqual(st.Config, cfg) {
		t.Fatalf("alert settings after restart: %+v %v", st.Config, err)
	}
	// Clearing the settings and the last pool removes the sections.
	if err := c2.JSON(ctx, "PUT", base+"alerts/config", meta.AlertConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c2.JSON(ctx, "DELETE", base+"pools/slow", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != head+"# end of file\n" {
		t.Fatalf("kiln.yaml after clearing:\n%s", got)
	}
	k2.stop()

	// --no-write-back leaves kiln.yaml as it is.
	k3 := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir, NoWriteBack: true})
	before := read()
	if err := k3.client().JSON(ctx, "PUT", base+"pools/slow", api.SetPoolRequest{Slots: 7}, nil); err != nil {
		t.Fatal(err)
	}
	if err := k3.client().JSON(ctx, "PUT", base+"alerts/config", cfg, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != before {
		t.Fatalf("written with --no-write-back:\n%s", got)
	}
}
