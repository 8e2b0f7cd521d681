package project

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
	_ "time/tzdata" // time zone checks must not depend on the machine

	"github.com/kilnhq/kiln/meta"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestLoad_Golden loads the sample projects in testdata and compares them
// with their golden JSON; go test -update rewrites the golden files.
func TestLoad_Golden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"edu"} {
		p, probs := Load(os.DirFS(filepath.Join("testdata", name)))
		for _, pr := range probs {
			t.Errorf("%s: %s", name, pr)
		}
		got, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		golden := filepath.Join("testdata", name+".golden.json")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: Load differs from %s; run go test -update and review the diff", name, golden)
		}
	}
}

func dur(s string) meta.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return meta.Duration(d)
}

func TestLoad_Fields(t *testing.T) {
	t.Parallel()
	p, probs := Load(os.DirFS("testdata/edu"))
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if p.Name != "edu" || p.DefaultEngine != "warehouse" || !reflect.DeepEqual(p.TaskDirs, []string{"tasks"}) {
		t.Errorf("project = %q, %q, %q", p.Name, p.DefaultEngine, p.TaskDirs)
	}
	wantEngines := []Engine{
		{Name: "crm", Kind: "postgres", DSN: "postgres://kiln@127.0.0.1:5432/crm", PasswordEnv: "CRM_PASSWORD",
			Options: map[string]string{"sslmode": "disable"}},
		{Name: "warehouse", Kind: "duckdb"},
	}
	if !reflect.DeepEqual(p.Engines, wantEngines) {
		t.Errorf("engines = %+v", p.Engines)
	}
	wantDefaults := meta.TaskDefaults{Owner: "data-team", Retries: 1, RetryDelay: dur("5m"), Timeout: dur("1h"),
		Pool: "default", Timezone: "Asia/Shanghai", Tier: meta.TierNormal, MemoryLimitMB: 2048}
	if p.Config.Defaults != wantDefaults {
		t.Errorf("defaults = %+v", p.Config.Defaults)
	}
	tasks := map[string]meta.TaskSpec{}
	var names []string
	for _, s := range p.Tasks {
		tasks[s.Name] = s
		names = append(names, s.Name)
	}
	wantNames := []string{"cleanup", "dim_students", "dwd_orders", "export", "gen_source", "notify", "ods_orders", "ods_students"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("tasks = %q; want %q", names, wantNames)
	}

	want := meta.TaskSpec{
		Name: "dwd_orders", Type: meta.TaskSQLModel, Path: "tasks/dwd/dwd_orders.sql", Engine: "warehouse",
		Schedule:  meta.Schedule{Cron: "0 2 * * *", Timezone: "Asia/Shanghai"},
		Upstreams: []string{"ods_orders", "ods_students"}, Params: map[string]string{"lookback": "7"},
		Retries: 2, RetryDelay: dur("1m"), Timeout: dur("30m"), Priority: 5, Pool: "default", Owner: "alice",
		Tier: meta.TierCore, Tags: []string{"finance"}, Description: "Cleaned orders, one partition per business date.",
		SQL:    "SELECT order_id, student_id, amount, '${bizdate}' AS dt\nFROM ods.ods_orders\nWHERE dt = '${bizdate}'",
		Target: "dwd.dwd_orders", WriteMode: meta.WriteOverwritePartition, PartitionColumn: "dt", PartitionValue: "${bizdate}",
	}
	if got := tasks["dwd_orders"]; !reflect.DeepEqual(got, want) {
		t.Errorf("dwd_orders =\n%+v\nwant\n%+v", got, want)
	}

	checks := []struct {
		task, what string
		got, want  any
	}{
		{"ods_students", "explicit retries 0 stays", tasks["ods_students"].Retries, 0},
		{"cleanup", "explicit retries 0 stays", tasks["cleanup"].Retries, 0},
		{"ods_orders", "default retries", tasks["ods_orders"].Retries, 1},
		{"ods_orders", "default retry_delay", tasks["ods_orders"].RetryDelay, dur("5m")},
		{"ods_orders", "default engine", tasks["ods_orders"].Engine, "warehouse"},
		{"ods_orders", "default timezone", tasks["ods_orders"].Schedule.Timezone, "Asia/Shanghai"},
		{"ods_students", "own timezone", tasks["ods_students"].Schedule, meta.Schedule{Cron: "@daily", Timezone: "UTC"}},
		{"ods_students", "default write mode", tasks["ods_students"].WriteMode, meta.WriteOverwrite},
		{"ods_students", "no partition value", tasks["ods_students"].PartitionValue, ""},
		{"dim_students", "merge key", tasks["dim_students"].UniqueKey, []string{"student_id"}},
		{"dim_students", "no schedule", tasks["dim_students"].Schedule, meta.Schedule{}},
		{"cleanup", "shell by extension", tasks["cleanup"].Type, meta.TaskShell},
		{"cleanup", "own tier", tasks["cleanup"].Tier, meta.TierCore},
		{"cleanup", "default memory", tasks["cleanup"].MemoryLimitMB, 2048},
		{"cleanup", "no engine", tasks["cleanup"].Engine, ""},
		{"gen_source", "python by extension", tasks["gen_source"].Type, meta.TaskPython},
		{"gen_source", "own memory", tasks["gen_source"].MemoryLimitMB, 1024},
		{"gen_source", "own timeout", tasks["gen_source"].Timeout, dur("10m")},
		{"gen_source", "params", tasks["gen_source"].Params, map[string]string{"rows": "1000"}},
		{"ods_orders", "SQL model memory", tasks["ods_orders"].MemoryLimitMB, 0},
		{"export", "YAML SQL", tasks["export"].SQL, "DELETE FROM daily_totals WHERE dt = '${bizdate}';\nINSERT INTO daily_totals SELECT '${bizdate}', 0;"},
		{"export", "own engine", tasks["export"].Engine, "crm"},
		{"notify", "YAML script", tasks["notify"].Script, "echo \"orders for ${bizdate} are ready\"\n"},
		{"sql_script type", "inferred without target", tasks["export"].Type, meta.TaskSQLScript},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %s = %#v; want %#v", c.task, c.what, c.got, c.want)
		}
	}
	script, _ := os.ReadFile("testdata/edu/tasks/scripts/cleanup.sh")
	if tasks["cleanup"].Script != string(script) {
		t.Errorf("cleanup script is not the whole file: %q", tasks["cleanup"].Script)
	}
}

func TestLoad_MapFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"kiln.yaml":       {Data: []byte("name: tiny\ntask_dirs: [., jobs/]\n")},
		"hello.sh":        {Data: []byte("echo ${project}\n")},
		"jobs/x.yaml":     {Data: []byte("type: python\nscript: print(1)\n")},
		"jobs/.hidden.sh": {Data: []byte("echo ${nope}\n")},
		".git/config.sh":  {Data: []byte("${nope}")},
		"notes.txt":       {Data: []byte("${nope}")},
	}
	p, probs := Load(fsys)
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if len(p.Tasks) != 2 || p.Tasks[0].Name != "hello" || p.Tasks[1].Path != "jobs/x.yaml" {
		t.Errorf("tasks = %+v", p.Tasks)
	}
	if !reflect.DeepEqual(p.TaskDirs, []string{".", "jobs"}) {
		t.Errorf("task dirs = %q", p.TaskDirs)
	}
}

func TestProblem_String(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"a.sql", 3, 7, "bad"}, "a.sql:3:7: bad"},
		{Problem{"a.sql", 3, 0, "bad"}, "a.sql:3: bad"},
		{Problem{"a.sql", 0, 0, "bad"}, "a.sql: bad"},
		{Problem{"a.sql", 0, 4, "bad"}, "a.sql: bad"},
		{Problem{"", 0, 0, "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q; want %q", tt.p, got, tt.want)
		}
	}
}

func TestSpecHash(t *testing.T) {
	t.Parallel()
	a := meta.TaskSpec{Name: "a", Type: meta.TaskSQLModel, SQL: "SELECT 1", Upstreams: []string{"x", "y"},
		Tags: []string{"t"}, Params: map[string]string{"k": "v", "j": "w"}}
	b := a
	b.Upstreams = []string{"y", "x", "x"}
	b.Params = map[string]string{"j": "w", "k": "v"}
	if SpecHash(a) != SpecHash(b) {
		t.Error("equal specs hash differently")
	}
	if h := SpecHash(a); len(h) != 64 {
		t.Errorf("hash %q is not sha256 hex", h)
	}
	if !reflect.DeepEqual(a.Upstreams, []string{"x", "y"}) || !reflect.DeepEqual(b.Upstreams, []string{"y", "x", "x"}) {
		t.Error("SpecHash changed its argument")
	}
	c := a
	c.SQL = "SELECT 2"
	d := a
	d.Retries = 1
	for _, other := range []meta.TaskSpec{c, d, {}} {
		if SpecHash(a) == SpecHash(other) {
			t.Errorf("different specs hash the same: %+v", other)
		}
	}
	var empty meta.TaskSpec
	e := empty
	e.Upstreams, e.Params = []string{}, map[string]string{}
	if SpecHash(empty) != SpecHash(e) {
		t.Error("nil and empty collections hash differently")
	}
}
