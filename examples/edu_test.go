package examples_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
	"github.com/kilnhq/kiln/project"
)

// The two consecutive business dates the tests build.
const (
	day1 = "2024-03-01"
	day2 = "2024-03-02"
)

// sourceRows bounds the rows of each generated file for a date in 2024.
var sourceRows = map[string][2]int{
	"students":   {19000, 22000},
	"teachers":   {450, 550},
	"courses":    {180, 220},
	"classes":    {1500, 3000},
	"lessons":    {350, 800},
	"attendance": {90000, 200000},
	"orders":     {9000, 14000},
	"refunds":    {400, 600},
}

const generator = "edu/tasks/src/gen_source.py"

func needPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	return py
}

// generate runs the source generator for one date, as the runner would:
// the script in a fresh working directory with KILN_* in its environment.
func generate(t *testing.T, py, script string, env []string) time.Duration {
	t.Helper()
	script, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gen_source: %v\n%s", err, out)
	}
	return time.Since(start)
}

// readDir returns the files of a folder by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

type manifest struct {
	Bizdate string `json:"bizdate"`
	Tables  map[string]struct {
		Rows  int   `json:"rows"`
		Bytes int64 `json:"bytes"`
	} `json:"tables"`
}

func readManifest(t *testing.T, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEduGeneratorIsDeterministic(t *testing.T) {
	py := needPython(t)
	a, b := t.TempDir(), t.TempDir()
	took := generate(t, py, generator, []string{"KILN_BIZDATE=" + day1, "KILN_SOURCE_DIR=" + a})
	t.Logf("gen_source %s took %v", day1, took.Round(time.Millisecond))
	generate(t, py, generator, []string{"KILN_BIZDATE=" + day1, "KILN_SOURCE_DIR=" + b})

	first := readDir(t, filepath.Join(a, "dt="+day1))
	second := readDir(t, filepath.Join(b, "dt="+day1))
	want := []string{"_manifest.json"}
	for name := range sourceRows {
		want = append(want, name+".csv")
	}
	slices.Sort(want)
	var got []string
	for name := range first {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v (no temporary files left behind)", got, want)
	}
	for name, data := range first {
		if !bytes.Equal(data, second[name]) {
			t.Errorf("%s differs between two runs for the same date", name)
		}
	}

	m := readManifest(t, filepath.Join(a, "dt="+day1))
	if m.Bizdate != day1 {
		t.Errorf("manifest bizdate = %q", m.Bizdate)
	}
	total := 0
	for name, bounds := range sourceRows {
		data := first[name+".csv"]
		lines := bytes.Count(data, []byte("\n"))
		rows := lines - 1 // the header
		total += rows
		if rows < bounds[0] || rows > bounds[1] {
			t.Errorf("%s.csv has %d rows, want %d to %d", name, rows, bounds[0], bounds[1])
		}
		if mt := m.Tables[name]; mt.Rows != rows || mt.Bytes != int64(len(data)) {
			t.Errorf("manifest says %s has %d rows and %d bytes; the file has %d and %d",
				name, mt.Rows, mt.Bytes, rows, len(data))
		}
		t.Logf("%-10s %7d rows %9d bytes", name, rows, len(data))
	}
	if total < 120000 {
		t.Errorf("%d rows in all, want at least 120000", total)
	}

	// Another date gives other data.
	generate(t, py, generator, []string{"KILN_BIZDATE=" + day2, "KILN_SOURCE_DIR=" + a})
	next := readDir(t, filepath.Join(a, "dt="+day2))
	if bytes.Equal(next["orders.csv"], first["orders.csv"]) {
		t.Error("orders.csv is the same for two dates")
	}
}

func loadEdu(t *testing.T) *project.Project {
	t.Helper()
	p, probs := project.Load(os.DirFS("edu"))
	for _, pr := range probs {
		t.Error(pr.String())
	}
	if p == nil {
		t.Fatal("project.Load returned no project")
	}
	return p
}

func TestEduProjectLoads(t *testing.T) {
	p := loadEdu(t)
	if p.Name != "edu" {
		t.Errorf("name = %q, want edu", p.Name)
	}
	names := map[string]meta.TaskSpec{}
	for _, s := range p.Tasks {
		names[s.Name] = s
	}
	modes := map[meta.WriteMode]int{}
	for _, s := range p.Tasks {
		for _, u := range s.Upstreams {
			if _, ok := names[u]; !ok {
				t.Errorf("%s: unknown upstream %s", s.Name, u)
			}
		}
		if s.Schedule.Cron == "" {
			t.Errorf("%s has no schedule", s.Name)
		}
		if s.Description == "" || s.Owner == "" {
			t.Errorf("%s has no description or owner", s.Name)
		}
		if s.Type == meta.TaskSQLModel {
			modes[s.WriteMode]++
			layer, _, _ := strings.Cut(s.Name, "_")
			if schema, _, _ := strings.Cut(s.Target, "."); schema != layer {
				t.Errorf("%s writes %s, outside its layer's schema %s", s.Name, s.Target, layer)
			}
		}
	}
	gen, ok := names["gen_source"]
	if !ok || gen.Type != meta.TaskPython {
		t.Fatalf("gen_source is missing or not a python task: %+v", gen)
	}
	for _, table := range []string{"students", "teachers", "courses", "classes", "lessons", "attendance", "orders", "refunds"} {
		s, ok := names["ods_"+table]
		switch {
		case !ok:
			t.Errorf("no task ods_%s", table)
		case s.Target != "ods.ods_"+table || s.WriteMode != meta.WriteOverwritePartition ||
			s.PartitionColumn != "dt" || !slices.Equal(s.Upstreams, []string{"gen_source"}):
			t.Errorf("ods_%s: target %s, mode %s on %q, upstreams %v", table, s.Target, s.WriteMode, s.PartitionColumn, s.Upstreams)
		}
	}
	for _, m := range []meta.WriteMode{meta.WriteOverwrite, meta.WriteOverwritePartition, meta.WriteAppend, meta.WriteMerge} {
		if modes[m] == 0 {
			t.Errorf("no model writes in mode %s", m)
		}
	}
	if n := len(p.Tasks) - 9; n < 8 {
		t.Errorf("%d models beyond ODS, want at least 8", n)
	}
}

// runOrder sorts tasks so that every task comes after its upstreams, by name
// among those ready at the same time.
func runOrder(t *testing.T, tasks []meta.TaskSpec) []meta.TaskSpec {
	t.Helper()
	done := map[string]bool{}
	var order []meta.TaskSpec
	rest := slices.Clone(tasks)
	slices.SortFunc(rest, func(a, b meta.TaskSpec) int { return cmp.Compare(a.Name, b.Name) })
	for len(rest) > 0 {
		var ready, wait []meta.TaskSpec
		for _, s := range rest {
			if !slices.ContainsFunc(s.Upstreams, func(u string) bool { return !done[u] }) {
				ready = append(ready, s)
			} else {
				wait = append(wait, s)
			}
		}
		if len(ready) == 0 {
			t.Fatalf("cycle among %d tasks", len(wait))
		}
		for _, s := range ready {
			done[s.Name] = true
		}
		order = append(order, ready...)
		rest = wait
	}
	return order
}

// pipeline runs the edu project's tasks on one DuckDB file the way the
// runner does, without the server.
type pipeline struct {
	t       *testing.T
	ctx     context.Context
	proj    *project.Project
	order   []meta.TaskSpec
	eng     engine.Engine
	py      string
	dataDir string
}

func (p *pipeline) paramContext(s *meta.TaskSpec, bizdate string) *params.Context {
	day, err := time.Parse(time.DateOnly, bizdate)
	if err != nil {
		p.t.Fatal(err)
	}
	values := map[string]string{}
	for k, v := range p.proj.Config.Params {
		values[k] = v
	}
	for k, v := range s.Params {
		values[k] = v
	}
	return &params.Context{Bizdate: day, Project: p.proj.Name, Task: s.Name, DataDir: p.dataDir, Values: values}
}

func (p *pipeline) render(text string, c *params.Context, what string) string {
	out, err := params.Render(text, c)
	if err != nil {
		p.t.Fatalf("render %s: %v", what, err)
	}
	return out
}

func (p *pipeline) runDate(bizdate string) {
	t := p.t
	for i := range p.order {
		s := &p.order[i]
		c := p.paramContext(s, bizdate)
		start := time.Now()
		switch s.Type {
		case meta.TaskPython:
			script := filepath.Join(t.TempDir(), s.Name+".py")
			if err := os.WriteFile(script, []byte(p.render(s.Script, c, s.Name)), 0o644); err != nil {
				t.Fatal(err)
			}
			env, err := params.Env(c)
			if err != nil {
				t.Fatalf("%s: environment: %v", s.Name, err)
			}
			generate(t, p.py, script, env)
		case meta.TaskSQLModel:
			value := bizdate
			if s.WriteMode == meta.WriteOverwritePartition {
				value = p.render(cmp.Or(s.PartitionValue, "${bizdate}"), c, s.Name+" partition value")
			}
			sel := strings.TrimRight(strings.TrimSpace(p.render(s.SQL, c, s.Name)), ";")
			res, err := p.eng.RunModel(p.ctx, &engine.Model{
				Select: sel, Target: engine.ParseTableRef(p.render(s.Target, c, s.Name+" target")),
				Mode: s.WriteMode, Partition: s.PartitionColumn, Value: value, UniqueKey: s.UniqueKey,
			})
			if err != nil {
				t.Fatalf("%s for %s: %v\n%s", s.Name, bizdate, err, sel)
			}
			t.Logf("%s %-20s %-19s %7d rows %v", bizdate, s.Name, s.WriteMode, res.RowsWritten,
				time.Since(start).Round(time.Millisecond))
		default:
			t.Fatalf("%s: the edu project has no %s tasks", s.Name, s.Type)
		}
	}
}

// query returns the rows of a statement as text.
func (p *pipeline) query(sql string) [][]string {
	p.t.Helper()
	rows, err := p.eng.Query(p.ctx, sql)
	if err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			p.t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func (p *pipeline) count(sql string) int {
	p.t.Helper()
	var n int
	if _, err := fmt.Sscan(p.query(sql)[0][0], &n); err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// checksums returns, per model target, its row count and an order-free hash
// of all its rows.
func (p *pipeline) checksums() map[string]string {
	sums := map[string]string{}
	for _, s := range p.order {
		if s.Type != meta.TaskSQLModel {
			continue
		}
		row := p.query("SELECT count(*), CAST(coalesce(sum(hash(x)), 0) AS VARCHAR) FROM " + s.Target + " AS x")[0]
		sums[s.Target] = row[0] + " rows, hash " + row[1]
	}
	return sums
}

func TestEduPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two days of the demo warehouse")
	}
	py := needPython(t)
	proj := loadEdu(t)
	dir := t.TempDir()
	eng, err := duckdb.Open("warehouse", filepath.Join(dir, "warehouse.duckdb"))
	if err != nil {
		t.Skip(err)
	}
	defer eng.Close()
	p := &pipeline{t: t, ctx: context.Background(), proj: proj, order: runOrder(t, proj.Tasks),
		eng: eng, py: py, dataDir: dir}
	sourceDir := filepath.Join(dir, "edu_source")

	for _, day := range []string{day1, day2} {
		p.runDate(day)
		m := readManifest(t, filepath.Join(sourceDir, "dt="+day))

		// ODS holds exactly the day's files.
		for name, mt := range m.Tables {
			if got := p.count(fmt.Sprintf("SELECT count(*) FROM ods.ods_%s WHERE dt = '%s'", name, day)); got != mt.Rows {
				t.Errorf("%s: ods_%s has %d rows, the file %d", day, name, got, mt.Rows)
			}
		}
		where := fmt.Sprintf(" WHERE dt = '%s'", day)
		// DWD keeps every lesson and attendance row, and one row per real order.
		pairs := [][2]string{
			{"SELECT count(*) FROM dwd.dwd_lessons" + where, "SELECT count(*) FROM ods.ods_lessons" + where},
			{"SELECT count(*) FROM dwd.dwd_attendance" + where, "SELECT count(*) FROM ods.ods_attendance" + where},
			{"SELECT count(*) FROM dwd.dwd_refunds" + where, "SELECT count(DISTINCT refund_id) FROM ods.ods_refunds" + where},
			{"SELECT count(*) FROM dwd.dwd_orders" + where,
				"SELECT count(DISTINCT order_id) FROM ods.ods_orders" + where + " AND channel <> 'internal_test'"},
			{"SELECT count(DISTINCT order_id) FROM dwd.dwd_orders" + where, "SELECT count(*) FROM dwd.dwd_orders" + where},
			{"SELECT count(*) FROM dws.dws_course_daily" + where, "SELECT count(*) FROM ods.ods_courses" + where},
			{"SELECT count(*) FROM dws.dws_teacher_daily" + where,
				"SELECT count(DISTINCT teacher_id) FROM dwd.dwd_lessons" + where},
			{"SELECT count(*) FROM dim.dim_course", "SELECT count(*) FROM ods.ods_courses" + where},
			// The ALL row of revenue is the sum of the subjects.
			{"SELECT sum(net_revenue) FROM ads.ads_revenue_daily" + where + " AND subject <> 'ALL'",
				"SELECT net_revenue FROM ads.ads_revenue_daily" + where + " AND subject = 'ALL'"},
			{"SELECT net_revenue FROM ads.ads_revenue_daily" + where + " AND subject = 'ALL'",
				"SELECT sum(net_revenue) FROM dws.dws_course_daily" + where},
		}
		for _, q := range pairs {
			a, b := p.query(q[0])[0][0], p.query(q[1])[0][0]
			if a != b {
				t.Errorf("%s: %s = %s but %s = %s", day, q[0], a, q[1], b)
			}
		}
		for _, q := range []struct {
			sql    string
			lo, hi int
		}{
			{"SELECT count(*) FROM dws.dws_student_daily" + where, 15000, 22000},
			{"SELECT count(*) FROM ads.ads_revenue_daily" + where, 9, 9},
			{"SELECT count(*) FROM ads.ads_course_rank_7d" + where, 50, 50},
			{"SELECT count(*) FROM ads.ads_student_active" + where, 1, 1},
			{"SELECT count(*) FROM ads.ads_kpi_month WHERE month = '2024-03-01' AND as_of_dt = '" + day + "'", 1, 1},
			{"SELECT count(*) FROM dwd.dwd_refunds" + where + " AND days_since_order BETWEEN 0 AND 30", 400, 600},
		} {
			if n := p.count(q.sql); n < q.lo || n > q.hi {
				t.Errorf("%s: %s = %d, want %d to %d", day, q.sql, n, q.lo, q.hi)
			}
		}
	}

	// Tables that keep history hold both days.
	for _, q := range []struct {
		sql  string
		want int
	}{
		{"SELECT count(DISTINCT dt) FROM dws.dws_teacher_daily", 2},
		{"SELECT count(DISTINCT " + engine.AppendPeriodColumn + ") FROM dws.dws_teacher_daily", 2},
		{"SELECT count(*) FROM ads.ads_student_active", 2},
		{"SELECT count(*) FROM ads.ads_kpi_month", 1},
		{"SELECT count(*) FROM ads.ads_kpi_month WHERE days_with_revenue = 2", 1},
		{"SELECT count(*) - count(DISTINCT student_id) FROM dim.dim_student", 0},
		{"SELECT count(*) FROM dim.dim_student WHERE last_snapshot_dt = '" + day2 + "'",
			p.count("SELECT count(*) FROM ods.ods_students WHERE dt = '" + day2 + "'")},
		{"SELECT count(*) FROM ads.ads_student_active WHERE dt = '" + day2 + "' AND learners_yesterday > 0", 1},
	} {
		if n := p.count(q.sql); n != q.want {
			t.Errorf("%s = %d, want %d", q.sql, n, q.want)
		}
	}

	for _, r := range p.query(`SELECT schema_name || '.' || table_name, estimated_size
		FROM duckdb_tables() WHERE NOT temporary ORDER BY 1`) {
		t.Logf("%-26s ~%s rows", r[0], r[1])
	}

	// Running a date again leaves every table exactly as it was.
	before := p.checksums()
	day1Orders := p.query("SELECT count(*), CAST(sum(hash(x)) AS VARCHAR) FROM dwd.dwd_orders AS x WHERE dt = '" + day1 + "'")[0]
	p.runDate(day2)
	after := p.checksums()
	for target, sum := range before {
		if after[target] != sum {
			t.Errorf("rerun of %s changed %s: %s, then %s", day2, target, sum, after[target])
		}
	}
	if got := p.query("SELECT count(*), CAST(sum(hash(x)) AS VARCHAR) FROM dwd.dwd_orders AS x WHERE dt = '" + day1 + "'")[0]; !slices.Equal(got, day1Orders) {
		t.Errorf("running %s changed the %s partition of dwd_orders", day2, day1)
	}
}
