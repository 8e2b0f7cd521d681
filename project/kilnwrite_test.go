package project

import (
	"maps"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kilnhq/kiln/meta"
)

const kilnYAML = `# the shop project
name: shop
engines:
  warehouse: {kind: duckdb}
pools:                 # slots per pool
  etl: 4
  # old: 9
# alerts are below
alerts:
  channels:
    - name: old
      kind: webhook
      url: http://127.0.0.1:1/old

defaults:
  retries: 1   # keep
`

// loadText loads a folder holding just this kiln.yaml.
func loadText(t *testing.T, src []byte) *Project {
	t.Helper()
	p, probs := Load(fstest.MapFS{"kiln.yaml": {Data: src}})
	if len(probs) > 0 {
		t.Fatalf("problems: %v\n%s", probs, src)
	}
	return p
}

// otherLines are the lines of src outside the key's section, as replaceSection keeps them.
func otherLines(src, key string) string {
	var out []string
	in := false
	for _, l := range strings.SplitAfter(src, "\n") {
		switch {
		case strings.HasPrefix(l, key+":"):
			in = true
			continue
		case in && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "- ")):
			continue
		case in && strings.TrimSpace(l) == "":
			continue // blank lines inside or right after the section
		}
		in = false
		out = append(out, l)
	}
	return strings.Join(out, "")
}

func TestSetAlerts(t *testing.T) {
	t.Parallel()
	cfg := &meta.AlertConfig{
		Timezone:    "Asia/Shanghai",
		Channels:    []meta.AlertChannel{{Name: "ops", Kind: "webhook", URL: "http://127.0.0.1:1/x", SecretEnv: "KILN_ALERT_HOOK_SECRET"}},
		Policies:    []meta.AlertPolicy{{Name: "core", Tiers: []meta.Tier{meta.TierCore}, Channels: []string{"ops"}, People: []string{"lead"}}},
		QuietHours:  "22:00-08:00",
		DedupWindow: meta.Duration(30 * time.Minute),
		GroupWindow: meta.Duration(90 * time.Second),
		Rota:        &meta.Rota{People: []string{"ann", "ben"}, Start: "2024-03-01", Handover: "09:00", Shift: meta.Duration(24 * time.Hour)},
	}
	out, err := SetAlerts([]byte(kilnYAML), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := loadText(t, out)
	if !p.AlertsSet || !sameJSON(p.Config.Alerts, cfg) || p.Config.Pools["etl"] != 4 || p.Config.Defaults.Retries != 1 {
		t.Fatalf("read back %+v\n%s", p.Config, out)
	}
	if otherLines(string(out), "alerts") != otherLines(kilnYAML, "alerts") {
		t.Fatalf("other lines changed:\n%s", out)
	}
	for _, want := range []string{"dedup_window: 30m\n", "group_window: 1m30s\n", "shift: 24h\n", "    - name: ops\n", "# alerts are below\nalerts:\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}

	// Cleared: the section goes, the rest stays.
	out, err = SetAlerts(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := loadText(t, out); p.AlertsSet || strings.Contains(string(out), "alerts:") {
		t.Fatalf("cleared:\n%s", out)
	}
	if string(out) != strings.Replace(kilnYAML, kilnYAML[strings.Index(kilnYAML, "alerts:\n"):strings.Index(kilnYAML, "\n\ndefaults")+1], "", 1) {
		t.Fatalf("after clearing:\n%s", out)
	}
	// Added at the end of a file without the section (and without a final newline).
	out, err = SetAlerts([]byte("name: shop\n# end"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "name: shop\n# end\nalerts:\n") || !sameJSON(loadText(t, out).Config.Alerts, cfg) {
		t.Fatalf("added:\n%s", out)
	}
}

func TestSetPools(t *testing.T) {
	t.Parallel()
	pools := map[string]int{"etl": 2, "duckdb": 1, "a.b-c": 3}
	out, err := SetPools([]byte(kilnYAML), pools)
	if err != nil {
		t.Fatal(err)
	}
	p := loadText(t, out)
	if !p.PoolsSet || !maps.Equal(p.Config.Pools, pools) || len(p.Config.Alerts.Channels) != 1 {
		t.Fatalf("read back %+v\n%s", p.Config, out)
	}
	if otherLines(string(out), "pools") != otherLines(kilnYAML, "pools") || !strings.Contains(string(out), "  etl: 2\n# alerts are below\n") {
		t.Fatalf("other lines changed:\n%s", out)
	}
	// CRLF files stay CRLF.
	crlf := strings.ReplaceAll("name: shop\npools:\n  etl: 1\ndescription: x\n", "\n", "\r\n")
	out, err = SetPools([]byte(crlf), map[string]int{"etl": 5})
	if err != nil || string(out) != "name: shop\r\npools:\r\n  etl: 5\r\ndescription: x\r\n" {
		t.Fatalf("crlf: %v %q", err, out)
	}
	out, err = SetPools([]byte(crlf), nil)
	if err != nil || string(out) != "name: shop\r\ndescription: x\r\n" {
		t.Fatalf("crlf removed: %v %q", err, out)
	}
}

// A kiln.yaml that cannot be rewritten safely is refused with the reason.
func TestSetSection_Refused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, src, want string }{
		{"bad YAML", "name: shop\npools: [\n", "fix them first: kiln.yaml:2:8: bad YAML"},
		{"problems", "name: shop\npools:\n  etl: 0\n", "kiln.yaml has 1 problem(s), fix them first: kiln.yaml:3:8: pools: pool etl: slots must be at least 1"},
		{"flow mapping", "{name: shop, pools: {etl: 1}}\n", "does not start its line"},
		{"anchor used elsewhere", "name: shop\npools: &p\n  etl: 1\nparams: {x: *p}\n", "aliases"},
		{"two documents", "name: shop\n---\nname: other\n", "one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := SetPools([]byte(c.src), map[string]int{"etl": 2})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// Whatever kiln.yaml holds, SetPools never panics, and what it returns
// reads back with the new pools.
func FuzzSetPools(f *testing.F) {
	f.Add(kilnYAML)
	f.Add("name: shop\npools: {etl: 1}\n")
	f.Add("name: shop\r\npools:\r\n  etl: 1\r\n# x")
	f.Fuzz(func(t *testing.T, src string) {
		pools := map[string]int{"etl": 2}
		out, err := SetPools([]byte(src), pools)
		if err != nil {
			return
		}
		p, err := readBack(out)
		if err != nil || !maps.Equal(p.Config.Pools, pools) {
			t.Fatalf("%v %v\n%q", err, p, out)
		}
	})
}
