package lineage_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/project"
)

const kilnYAML = "name: shop\ndefault_engine: warehouse\nengines:\n  warehouse:\n    kind: duckdb\n"

func load(t *testing.T, files map[string]string) *project.Project {
	t.Helper()
	fsys := fstest.MapFS{"kiln.yaml": {Data: []byte(kilnYAML)}}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	p, probs := project.Load(fsys)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	return p
}

func model(header, sql string) string { return "/* kiln\n" + header + "\n*/\n" + sql + "\n" }

func TestAdviseUpstreams(t *testing.T) {
	files := map[string]string{
		"tasks/a.sql": model("target: ods.a", "SELECT 1 AS x"),
		"tasks/b.sql": model("target: dwd.b", "SELECT 2 AS y"),
		// c reads a (undeclared) and declares b, which it does not read
		"tasks/c.sql": model("target: dws.c\nupstreams: [b]", "SELECT x FROM ods.a"),
		// d reads a and b and declares both: no advice
		"tasks/d.sql": model("target: ads.d\nupstreams: [a, b]", "SELECT x, y FROM ods.a, dwd.b"),
		// a shell upstream is never called unneeded
		"tasks/s.sh":  "# kiln:\n# upstreams: []\necho hi\n",
		"tasks/e.sql": model("target: ads.e\nupstreams: [s]", "SELECT x FROM ods.a WHERE '${bizdate}' <> ''"),
		// a script reading an unqualified name written by a qualified target
		"tasks/f.sql": model("type: sql_script\nupstreams: [a]", "INSERT INTO out_f SELECT x FROM a"),
	}
	p := load(t, files)
	got := map[string]string{}
	for _, adv := range lineage.AdviseUpstreams(p, false) {
		got[adv.Task] = fmt.Sprint(adv.Missing, adv.Unneeded, adv.Added)
	}
	want := map[string]string{
		"c": "[{a [ods.a]}] [b] []",
		"e": "[{a [ods.a]}] [] []",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("advice\n got %v\nwant %v", got, want)
	}
}

func TestAdviseUpstreams_auto(t *testing.T) {
	p := load(t, map[string]string{
		"tasks/a.sql": model("target: ods.a", "SELECT 1 AS x"),
		"tasks/c.sql": model("target: dws.c\nauto_upstreams: true", "SELECT x FROM ods.a"),
		// z declares c and gets a added
		"tasks/z.sql": model("target: ods.z\nauto_upstreams: true\nupstreams: [c]", "SELECT x FROM dws.c UNION ALL SELECT x FROM ods.a"),
	})
	advice := lineage.AdviseUpstreams(p, true)
	ups := map[string][]string{}
	for _, s := range p.Tasks {
		ups[s.Name] = s.Upstreams
	}
	if !slices.Equal(ups["c"], []string{"a"}) || !slices.Equal(ups["z"], []string{"c", "a"}) {
		t.Errorf("upstreams after auto: %v (advice %+v)", ups, advice)
	}
	p = load(t, map[string]string{
		"tasks/a.sql": model("target: ods.a\nauto_upstreams: true", "SELECT x FROM dws.c"),
		"tasks/c.sql": model("target: dws.c\nupstreams: [a]", "SELECT x FROM ods.a"),
	})
	lineage.AdviseUpstreams(p, true)
	if len(p.Tasks[0].Upstreams) != 0 {
		t.Errorf("an upstream closing a cycle was added: %v", p.Tasks[0].Upstreams)
	}
}

func TestLoad_autoUpstreamsNotABool(t *testing.T) {
	fsys := fstest.MapFS{"kiln.yaml": {Data: []byte(kilnYAML)}, "tasks/a.sql": {Data: []byte(model("target: ods.a\nauto_upstreams: maybe", "SELECT 1"))}}
	_, probs := project.Load(fsys)
	if len(probs) != 1 || probs[0].String() != "tasks/a.sql:3:17: auto_upstreams: want true or false, not \"maybe\"" {
		t.Errorf("problems = %v", probs)
	}
}
