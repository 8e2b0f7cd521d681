package project

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/meta"
)

func TestLoad_Quality(t *testing.T) {
	t.Parallel()
	fsys := setup(t, map[string]string{
		"tasks/a.sql": `/* kiln
target: s.a
quality:
  - check: unique
    columns: [id, day]
    severity: strong
  - check: null_rate
    column: amount
    max: 0.01
*/
SELECT 1
`,
		"rules/a.yaml": `rules:
  - task: a
    check: row_count_change
    max_pct: 30
    versus: last_week
`,
	})
	p, probs := Load(fsys)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	q := p.Tasks[0].Quality
	if len(q) != 3 || q[0].Check != meta.CheckUnique || q[0].Severity != meta.SeverityStrong || len(q[0].Columns) != 2 ||
		*q[1].Max != 0.01 || q[2].Versus != "last_week" || q[2].Task != "" {
		t.Errorf("quality rules read as %+v", q)
	}
}

func TestLoad_QualityProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"tasks/a.sql": "/* kiln\ntarget: s.a\nquality:\n  - check: null_rate\n    column: x\n    max: lots\n*/\nSELECT 1\n"}, "tasks/a.sql:6"},
		{map[string]string{"tasks/a.sql": "/* kiln\ntarget: s.a\nquality:\n  - check: nulls\n*/\nSELECT 1\n"}, `tasks/a.sql:4:10: quality: rule nulls: unknown check "nulls"`},
		{map[string]string{"tasks/a.sql": "/* kiln\ntarget: s.a\nquality:\n  - check: row_count\n    min: 9\n    max: 1\n*/\nSELECT 1\n"}, "min 9 is above max 1"},
		{map[string]string{"tasks/a.sql": "/* kiln\ntarget: s.a\nquality:\n  - check: row_count\n    mn: 9\n*/\nSELECT 1\n"}, "tasks/a.sql:5"},
		{map[string]string{"rules/x.yaml": "rules:\n  - task: ghost\n    check: row_count\n    min: 1\n"}, "rules/x.yaml:1:1: rules: rule row_count: unknown task ghost"},
		{map[string]string{"rules/x.yaml": "rules:\n  - check: row_count\n    min: 1\n"}, "names no task"},
		{map[string]string{"rules/x.yaml": "rules:\n  - task: a\n    check: row_count\n    min: 1\n  - task: a\n    check: row_count\n    max: 5\n"}, "two rules have this name"},
	}
	for _, c := range cases {
		_, probs := Load(setup(t, c.files))
		var all []string
		for _, p := range probs {
			all = append(all, p.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), c.want) {
			t.Errorf("problems %q, want one with %q", all, c.want)
		}
	}
}

func TestLoad_Alerts(t *testing.T) {
	t.Parallel()
	good := baseProject + `alerts:
  channels:
    - name: ops
      kind: feishu
      url: http://127.0.0.1:9/hook
      secret_env: KILN_ALERT_FEISHU_SECRET
  policies:
    - tiers: [core]
      channels: [ops]
  rota:
    people: [ann, ben]
    start: "2024-03-01"
    remind: "18:00"
`
	p, probs := Load(setup(t, map[string]string{"kiln.yaml": good}))
	if len(probs) > 0 || p.Config.Alerts == nil || p.Config.Alerts.Channels[0].SecretEnv != "KILN_ALERT_FEISHU_SECRET" || p.Config.Alerts.Rota.Remind != "18:00" {
		t.Fatalf("alerts read as %+v, problems %v", p.Config.Alerts, probs)
	}
	_, probs = Load(setup(t, map[string]string{"kiln.yaml": baseProject + "alerts:\n  channels:\n    - name: x\n      kind: pager\n"}))
	if len(probs) == 0 || !strings.Contains(probs[0].String(), `kiln.yaml:12:11: alerts: channel x: unknown kind "pager"`) {
		t.Errorf("problems %v", probs)
	}
}
