package quality_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/quality"
)

// engines serves named engines; a name it lacks is unreachable.
type engines map[string]engine.Engine

func (e engines) Engine(_ context.Context, _ int64, name string) (engine.Engine, error) {
	if x, ok := e[name]; ok {
		return x, nil
	}
	return nil, fmt.Errorf("data source %s: dial tcp 127.0.0.1:1: connection refused", name)
}

type fixture struct {
	store *sqlitemeta.Store
	wh    engine.Engine
	chk   *quality.Checker
	proj  int64
}

func setup(t *testing.T) *fixture {
	t.Helper()
	store, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	wh, err := duckdb.Open("warehouse", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	for _, q := range []string{
		`CREATE SCHEMA dwd`,
		`CREATE TABLE dwd.orders (dt VARCHAR, id INTEGER, line INTEGER, status VARCHAR, email VARCHAR, amount DOUBLE)`,
		`INSERT INTO dwd.orders VALUES
			('2024-03-01', 1, 1, 'paid', 'a@x.com', 10), ('2024-03-01', 2, 1, 'paid', 'b@x.com', 20),
			('2024-03-02', 1, 1, 'paid', 'a@x.com', 10), ('2024-03-02', 2, 1, 'refunded', 'bad-email', NULL),
			('2024-03-02', 2, 1, 'lost', 'c@x.com', 500), ('2024-03-02', 3, 2, 'paid', NULL, 30)`,
		`CREATE TABLE dwd.orders_copy AS SELECT * FROM dwd.orders WHERE id <> 3`,
	} {
		if _, err := wh.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	p, err := store.CreateProject(t.Context(), &meta.CreateProjectParams{Name: "edu"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: store, wh: wh, chk: quality.New(quality.Config{}, store, nil, nil), proj: p.ID}
}

func (f *fixture) period(day string) *quality.Period {
	return &quality.Period{ProjectID: f.proj, Task: "dwd_orders", InstanceID: 1, Bizdate: day, Engine: f.wh,
		Engines: engines{"warehouse": f.wh}, Table: "dwd.orders", Where: `"dt" = '` + day + `'`,
		Render: func(s string) (string, error) { return strings.ReplaceAll(s, "${bizdate}", day), nil }}
}

func fp(v float64) *float64 { return &v }

func TestChecker_Run(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rules := []meta.QualityRule{
		{Check: meta.CheckRowCount, Min: fp(1), Max: fp(10)},
		{Check: meta.CheckNullRate, Column: "amount", Max: fp(0.1), Severity: meta.SeverityStrong},
		{Check: meta.CheckNullCount, Column: "email", Max: fp(0)},
		{Check: meta.CheckDistinct, Column: "id", Min: fp(3)},
		{Check: meta.CheckInSet, Column: "status", Values: []string{"paid", "refunded"}},
		{Check: meta.CheckRegex, Column: "email", Pattern: `[^@]+@[^@]+\.[a-z]+`},
		{Check: meta.CheckRange, Column: "amount", Min: fp(0), Max: fp(100)},
		{Check: meta.CheckMax, Column: "amount", Max: fp(1000)},
		{Check: meta.CheckMean, Column: "amount", Min: fp(1)},
		{Check: meta.CheckUnique, Columns: []string{"id", "line"}},
		{Check: meta.CheckUnique, Name: "unique_all", Columns: []string{"id", "line", "status"}},
		{Check: meta.CheckCustomSQL, SQL: `SELECT * FROM dwd.orders WHERE dt = '${bizdate}' AND amount > 400`},
		{Check: meta.CheckCustomSQL, Name: "paid_share", SQL: `SELECT avg(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) FROM dwd.orders WHERE dt = '${bizdate}'`, Min: fp(0.4)},
		{Check: meta.CheckCompare, Name: "vs_copy", Compare: &meta.QualityCompare{Table: "dwd.orders_copy", Where: "dt = '${bizdate}'"}},
		{Check: meta.CheckCompare, Name: "keys_vs_copy", Columns: []string{"id"}, Compare: &meta.QualityCompare{Source: "warehouse", SQL: "SELECT id FROM dwd.orders_copy WHERE dt = '${bizdate}'", Mode: "keys"}},
		{Check: meta.CheckCompare, Name: "sum_vs_copy", Compare: &meta.QualityCompare{Table: "dwd.orders", Where: "dt = '${bizdate}'", Mode: "sum", Sums: []string{"amount"}}},
		{Check: meta.CheckNullRate, Name: "missing_col", Column: "nope", Max: fp(0)},
		{Check: meta.CheckCompare, Name: "far_away", Compare: &meta.QualityCompare{Source: "crm_mysql", Table: "orders"}},
		{Check: meta.CheckRowCount, Name: "bad_threshold", Min: fp(5), Max: fp(1)},
	}
	want := map[string]struct {
		verdict meta.Verdict
		metric  float64
		says    string
	}{
		"row_count":         {meta.VerdictPass, 4, "row_count is 4"},
		"null_rate_amount":  {meta.VerdictBreach, 0.25, "above max 0.1"},
		"null_count_email":  {meta.VerdictBreach, 1, "above max 0"},
		"distinct_count_id": {meta.VerdictPass, 3, ""},
		"in_set_status":     {meta.VerdictBreach, 1, "values not in the set"},
		"regex_email":       {meta.VerdictBreach, 1, "not matching"},
		"range_amount":      {meta.VerdictBreach, 1, "out of range"},
		"max_amount":        {meta.VerdictPass, 500, ""},
		"mean_amount":       {meta.VerdictPass, 180, ""},
		"unique_id_line":    {meta.VerdictBreach, 1, "duplicated keys"},
		"unique_all":        {meta.VerdictPass, 0, ""},
		"custom_sql":        {meta.VerdictBreach, 1, "rows returned"},
		"paid_share":        {meta.VerdictPass, 0.5, ""},
		"vs_copy":           {meta.VerdictBreach, 1, "4 rows here vs 3 on warehouse"},
		"keys_vs_copy":      {meta.VerdictBreach, 1, "1 keys only here"},
		"sum_vs_copy":       {meta.VerdictPass, 0, ""},
		"missing_col":       {meta.VerdictError, 0, "column nope not in table dwd.orders"},
		"far_away":          {meta.VerdictError, 0, "comparison source crm_mysql cannot be reached"},
		"bad_threshold":     {meta.VerdictError, 0, "min 5 is above max 1"},
	}
	results := f.chk.Run(t.Context(), f.period("2024-03-02"), rules)
	if len(results) != len(rules) {
		t.Fatalf("%d results for %d rules", len(results), len(rules))
	}
	for _, r := range results {
		w, ok := want[r.Rule]
		if !ok {
			t.Errorf("unexpected rule name %q", r.Rule)
			continue
		}
		if r.Verdict != w.verdict || !strings.Contains(r.Message, w.says) {
			t.Errorf("%s: verdict %s, message %q; want %s saying %q", r.Rule, r.Verdict, r.Message, w.verdict, w.says)
		}
		if w.verdict != meta.VerdictError && (r.Metric == nil || *r.Metric != w.metric) {
			t.Errorf("%s: metric %v, want %g", r.Rule, r.Metric, w.metric)
		}
		if w.verdict == meta.VerdictBreach && r.Check != meta.CheckCompare && r.Check != meta.CheckNullRate && len(r.Sample) == 0 {
			t.Errorf("%s: breached without a sample", r.Rule)
		}
	}
	byName := map[string]*meta.QualityResult{}
	for _, r := range results {
		byName[r.Rule] = r
	}
	if s := byName["unique_id_line"].Sample; len(s) != 1 || s[0]["id"] != "2" || s[0]["duplicates"] != "2" {
		t.Errorf("duplicate key sample = %v", s)
	}
	if s := byName["in_set_status"].Sample; len(s) != 1 || s[0]["status"] != "lost" {
		t.Errorf("in_set sample = %v", s)
	}
	if s := byName["keys_vs_copy"].Sample; len(s) != 1 || s[0]["id"] != "3" || s[0]["side"] != "only here" {
		t.Errorf("key diff sample = %v", s)
	}
}

func TestChecker_MissingTable(t *testing.T) {
	t.Parallel()
	f := setup(t)
	p := f.period("2024-03-02")
	p.Table = "dwd.nothing"
	rs := f.chk.Run(t.Context(), p, []meta.QualityRule{{Check: meta.CheckRowCount, Min: fp(1)}})
	if rs[0].Verdict != meta.VerdictError || !strings.Contains(rs[0].Message, "table dwd.nothing not found") {
		t.Errorf("rule on a missing table: %s %q", rs[0].Verdict, rs[0].Message)
	}
}

// TestChecker_History runs change, outlier and anomaly rules over stored
// history: first too little of it, then a normal day, then a spike.
func TestChecker_History(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	rules := []meta.QualityRule{
		{Check: meta.CheckRowCountChange, MaxPct: fp(50), Versus: quality.VersusPrevious},
		{Check: meta.CheckRowCountChange, MaxPct: fp(50), Versus: quality.VersusLastWeek},
		{Check: meta.CheckSum, Column: "amount", MaxPct: fp(30), Versus: quality.VersusAvg7},
		{Check: meta.CheckOutlier, Metric: "sum", Column: "amount", MinHistory: 7},
		{Check: meta.CheckAnomaly, Metric: "row_count", MinHistory: 14},
	}
	// Twenty days of history: weekdays 100 rows, weekends 40, amount 1000.
	for d := 1; d <= 20; d++ {
		day := fmt.Sprintf("2024-02-%02d", d)
		rows := 100.0
		if wd := mustDay(day).Weekday(); wd == 0 || wd == 6 {
			rows = 40
		}
		for i, r := range rules {
			v := rows
			if i == 2 || i == 3 {
				v = 1000 + float64(d%3)
			}
			res := &meta.QualityResult{ProjectID: f.proj, Task: "dwd_orders", Bizdate: day, Rule: quality.RuleName(&r),
				Check: r.Check, Severity: meta.SeverityWeak, Metric: &v, Verdict: meta.VerdictPass}
			if err := f.store.AddQualityResult(ctx, res); err != nil {
				t.Fatal(err)
			}
		}
	}
	load := func(day string, n int, amount float64) {
		if _, err := f.wh.Exec(ctx, fmt.Sprintf(`INSERT INTO dwd.orders SELECT '%s', i, 1, 'paid', 'a@x.com', %g / %d FROM range(%d) t(i)`, day, amount, n, n)); err != nil {
			t.Fatal(err)
		}
	}
	// 2024-02-21 is a Wednesday: 100 rows is normal.
	load("2024-02-21", 100, 1000)
	for _, r := range f.chk.Run(ctx, f.period("2024-02-21"), rules) {
		if r.Verdict != meta.VerdictPass {
			t.Errorf("normal day: %s %s %q (threshold %s)", r.Rule, r.Verdict, r.Message, r.Threshold)
		}
		if err := f.store.AddQualityResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// 2024-02-22, Thursday: 40 rows and a tenfold amount.
	load("2024-02-22", 40, 10000)
	for _, r := range f.chk.Run(ctx, f.period("2024-02-22"), rules) {
		if r.Verdict != meta.VerdictBreach {
			t.Errorf("bad day: %s %s %q (threshold %s)", r.Rule, r.Verdict, r.Message, r.Threshold)
		}
	}
	// A fresh rule has no history and says so.
	fresh := f.chk.Run(ctx, f.period("2024-02-22"), []meta.QualityRule{{Check: meta.CheckAnomaly, Name: "new", Metric: "mean", Column: "amount"}})
	if fresh[0].Verdict != meta.VerdictNoHistory || !strings.Contains(fresh[0].Message, "0 earlier periods recorded, 7 needed") {
		t.Errorf("fresh anomaly rule: %s %q", fresh[0].Verdict, fresh[0].Message)
	}
}

func mustDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule meta.QualityRule
		says string
	}{
		{meta.QualityRule{}, "check is missing"},
		{meta.QualityRule{Check: "nulls"}, `unknown check "nulls"`},
		{meta.QualityRule{Check: meta.CheckNullRate, Max: fp(1)}, "null_rate needs a column"},
		{meta.QualityRule{Check: meta.CheckRowCount}, "row_count needs min or max"},
		{meta.QualityRule{Check: meta.CheckRegex, Column: "c", Pattern: "("}, "pattern does not compile"},
		{meta.QualityRule{Check: meta.CheckRowCountChange, MaxPct: fp(5), Versus: "yesterday"}, "versus must be"},
		{meta.QualityRule{Check: meta.CheckCompare, Compare: &meta.QualityCompare{Table: "a", SQL: "b"}}, "exactly one of table and sql"},
		{meta.QualityRule{Check: meta.CheckAnomaly, Metric: "revenue"}, "needs metric"},
		{meta.QualityRule{Check: meta.CheckRowCount, Min: fp(1), Severity: "fatal"}, "severity must be strong or weak"},
	}
	for _, c := range cases {
		err := quality.Validate(&c.rule)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Validate(%+v) = %v, want it to say %q", c.rule, err, c.says)
		}
	}
	if err := quality.ValidateAll([]meta.QualityRule{{Check: meta.CheckRowCount, Min: fp(1)}, {Check: meta.CheckRowCount, Max: fp(1)}}); err == nil || !strings.Contains(err.Error(), "two rules have this name") {
		t.Errorf("duplicate names: %v", err)
	}
}
