package enginetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// srcRows is src as "id|dt|amount".
var srcRows = []string{
	"1|2024-01-01|10.50", "2|2024-01-01|20.00", "3|2024-01-02|30.25", "4|2024-01-02|40.00",
}

// run runs a model that must succeed.
func (s *suite) run(t *testing.T, m engine.Model) *engine.ModelResult {
	t.Helper()
	res, err := s.e.RunModel(t.Context(), &m)
	if err != nil {
		t.Fatalf("run %s into %s: %v", m.Mode, m.Target, err)
	}
	if len(res.Statements) == 0 {
		t.Errorf("run %s into %s: no statements listed", m.Mode, m.Target)
	}
	return res
}

func wantResult(t *testing.T, res *engine.ModelResult, created bool, written int64) {
	t.Helper()
	if res.Created != created || res.RowsWritten != written {
		t.Errorf("result: created %v, %d rows written; want created %v, %d rows",
			res.Created, res.RowsWritten, created, written)
	}
}

// snapshot returns the target's rows, or nil and false when it is missing.
func (s *suite) snapshot(t *testing.T, target engine.TableRef, cols string) ([]string, bool) {
	t.Helper()
	_, err := s.e.Describe(t.Context(), target)
	if errors.Is(err, engine.ErrTableNotFound) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return s.rows(t, "SELECT "+cols+" FROM "+target.String()+" ORDER BY "+cols), true
}

// checkAtomic runs m with SELECTs of selectCols and amount from src (with
// where) that fail part-way, and checks that the target keeps its rows
// (readCols) and that no helper table is left behind; then that a missing
// target stays missing.
func (s *suite) checkAtomic(t *testing.T, m engine.Model, selectCols, where, readCols string) {
	t.Helper()
	oops := "CASE WHEN id = 2 THEN 'oops' ELSE '1' END"
	// Fails while the engine computes the second row.
	computing := fmt.Sprintf("SELECT %s, CAST(%s AS %s) AS amount FROM src%s", selectCols, oops, s.sql.intCast, where)
	// Fails while the second row is stored into the existing DECIMAL
	// column, after the mode has deleted what it replaces.
	storing := fmt.Sprintf("SELECT %s, %s AS amount FROM src%s", selectCols, oops, where)
	// Fails before any row.
	missing := "SELECT id, no_such_column FROM src"

	before, _ := s.snapshot(t, m.Target, readCols)
	for _, query := range []string{computing, storing, missing} {
		bad := m
		bad.Select = query
		if _, err := s.e.RunModel(t.Context(), &bad); err == nil {
			t.Errorf("%s: no error from %s", m.Mode, query)
		}
		after, exists := s.snapshot(t, m.Target, readCols)
		if !exists {
			t.Fatalf("%s: a failed run dropped %s", m.Mode, m.Target)
		}
		equal(t, fmt.Sprintf("%s after a failed run of %s", m.Target, query), after, before)
		if query == storing {
			continue // into a new table it succeeds: the column is created as text
		}
		bad.Target.Name += "_never"
		if _, err := s.e.RunModel(t.Context(), &bad); err == nil {
			t.Errorf("%s into a missing table: no error from %s", m.Mode, query)
		}
		if _, exists := s.snapshot(t, bad.Target, readCols); exists {
			t.Errorf("%s: a failed run left %s created", m.Mode, bad.Target)
		}
	}
	s.checkNoLitter(t, m.Target.Schema)
}

// checkNoLitter checks that no helper table of a model run is left in
// schema ("" for the default).
func (s *suite) checkNoLitter(t *testing.T, schema string) {
	t.Helper()
	tables, err := s.e.ListTables(t.Context(), cmp.Or(schema, s.defaultSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tables {
		if strings.Contains(r.Name, "_kiln_") {
			t.Errorf("helper table %s left behind", r)
		}
	}
}

func (s *suite) testOverwrite(t *testing.T) {
	target := engine.TableRef{Schema: s.schema, Name: "ow"}
	m := engine.Model{Select: "SELECT id, dt, amount FROM src;", Target: target, Mode: meta.WriteOverwrite}
	cols := "id, dt, amount"
	read := "SELECT " + cols + " FROM " + target.String() + " ORDER BY id"

	wantResult(t, s.run(t, m), true, 4)
	equal(t, "created", s.rows(t, read), srcRows)
	wantResult(t, s.run(t, m), false, 4)
	equal(t, "rerun", s.rows(t, read), srcRows)

	listed, err := s.e.ListTables(t.Context(), s.schema)
	if err != nil || !slices.Equal(listed, []engine.TableRef{target}) {
		t.Errorf("ListTables(%s) = %v, %v; want the created %s", s.schema, listed, err, target)
	}

	// A query reading its own target (a zipper table) sees the old rows.
	self := m
	self.Select = "SELECT id, dt, amount * 2 AS amount FROM " + target.String()
	wantResult(t, s.run(t, self), false, 4)
	equal(t, "rebuilt from itself", s.rows(t, read), []string{
		"1|2024-01-01|21.00", "2|2024-01-01|40.00", "3|2024-01-02|60.50", "4|2024-01-02|80.00",
	})

	fewer := m
	fewer.Select = "SELECT id, dt, amount FROM src WHERE id > 2 -- trailing comment"
	wantResult(t, s.run(t, fewer), false, 2)
	equal(t, "overwritten with fewer rows", s.rows(t, read), srcRows[2:])

	s.run(t, m)
	s.checkAtomic(t, m, "id, dt", "", cols)
}

func (s *suite) testOverwritePartition(t *testing.T) {
	target := engine.TableRef{Name: "op"}
	day := func(d string) engine.Model {
		return engine.Model{
			Select: "SELECT id, dt, amount FROM src WHERE dt = '" + d + "'",
			Target: target, Mode: meta.WriteOverwritePartition, Partition: "dt", Value: d,
		}
	}
	cols := "id, dt, amount"
	read := "SELECT " + cols + " FROM op ORDER BY id"

	wantResult(t, s.run(t, day("2024-01-01")), true, 2)
	equal(t, "first partition", s.rows(t, read), srcRows[:2])
	wantResult(t, s.run(t, day("2024-01-02")), false, 2)
	equal(t, "two partitions", s.rows(t, read), srcRows)
	wantResult(t, s.run(t, day("2024-01-01")), false, 2)
	equal(t, "rerun of the first", s.rows(t, read), srcRows)

	one := day("2024-01-01")
	one.Select += " AND id = 1"
	wantResult(t, s.run(t, one), false, 1)
	equal(t, "first partition rewritten", s.rows(t, read), []string{srcRows[0], srcRows[2], srcRows[3]})
	s.run(t, day("2024-01-01"))

	stray := day("2024-01-01")
	stray.Select = "SELECT id, dt, amount FROM src"
	_, err := s.e.RunModel(t.Context(), &stray)
	if !errors.Is(err, engine.ErrPartitionMismatch) || !strings.Contains(err.Error(), "dt") {
		t.Errorf("rows of another partition: %v, want ErrPartitionMismatch naming dt", err)
	}
	equal(t, "after rows of another partition", s.rows(t, read), srcRows)

	null := day("2024-01-01")
	null.Select = "SELECT id, CAST(NULL AS DATE) AS dt, amount FROM src WHERE id = 1"
	if _, err := s.e.RunModel(t.Context(), &null); !errors.Is(err, engine.ErrPartitionMismatch) {
		t.Errorf("rows with a NULL partition: %v, want ErrPartitionMismatch", err)
	}
	equal(t, "after rows with a NULL partition", s.rows(t, read), srcRows)

	s.checkAtomic(t, day("2024-01-01"), "id, dt", " WHERE dt = '2024-01-01'", cols)
}

func (s *suite) testAppend(t *testing.T) {
	target := engine.TableRef{Name: "ap"}
	period := func(p, where string) engine.Model {
		return engine.Model{
			Select: "SELECT id, amount FROM src WHERE " + where,
			Target: target, Mode: meta.WriteAppend, Value: p,
		}
	}
	read := "SELECT id, amount, " + engine.AppendPeriodColumn + " FROM ap ORDER BY id"

	wantResult(t, s.run(t, period("2024-01-01", "dt = '2024-01-01'")), true, 2)
	tbl, err := s.e.Describe(t.Context(), target)
	if err != nil || !slices.ContainsFunc(tbl.Columns, func(c engine.Column) bool { return c.Name == engine.AppendPeriodColumn }) {
		t.Fatalf("describe %s: %+v, %v; want a %s column", target, tbl, err, engine.AppendPeriodColumn)
	}
	wantResult(t, s.run(t, period("2024-01-02", "dt = '2024-01-02'")), false, 2)
	equal(t, "two periods", s.rows(t, read), []string{
		"1|10.50|2024-01-01", "2|20.00|2024-01-01", "3|30.25|2024-01-02", "4|40.00|2024-01-02",
	})
	rerun := []string{"1|10.50|2024-01-01", "3|30.25|2024-01-02", "4|40.00|2024-01-02"}
	wantResult(t, s.run(t, period("2024-01-01", "id = 1")), false, 1)
	equal(t, "first period rerun", s.rows(t, read), rerun)
	s.run(t, period("2024-01-01", "id = 1"))
	equal(t, "first period rerun twice", s.rows(t, read), rerun)

	// Period values are written into SQL as literals: quotes and
	// backslashes must arrive as they were.
	odd := period(`it's a \ period`, "id = 4")
	s.run(t, odd)
	wantResult(t, s.run(t, odd), false, 1)
	equal(t, "an odd period", s.rows(t, "SELECT id, "+engine.AppendPeriodColumn+" FROM ap WHERE id = 4 ORDER BY 2"),
		[]string{"4|2024-01-02", `4|it's a \ period`})

	clash := period("2024-01-03", "id = 1")
	clash.Select = "SELECT id, 'x' AS " + engine.AppendPeriodColumn + " FROM src"
	if _, err := s.e.RunModel(t.Context(), &clash); err == nil || !strings.Contains(err.Error(), engine.AppendPeriodColumn) {
		t.Errorf("a query returning %s: %v, want an error naming it", engine.AppendPeriodColumn, err)
	}

	// A table made elsewhere gains the period column on its first append.
	s.exec(t, "CREATE TABLE ap_existing (id INTEGER, amount DECIMAL(10,2))")
	existing := period("2024-01-01", "dt = '2024-01-01'")
	existing.Target = engine.TableRef{Name: "ap_existing"}
	wantResult(t, s.run(t, existing), false, 2)
	equal(t, "appended to an existing table",
		s.rows(t, "SELECT id, "+engine.AppendPeriodColumn+" FROM ap_existing ORDER BY id"),
		[]string{"1|2024-01-01", "2|2024-01-01"})

	s.checkAtomic(t, period("2024-01-01", "id = 1"), "id", "", "id, amount, "+engine.AppendPeriodColumn)
}

func (s *suite) testMerge(t *testing.T) {
	target := engine.TableRef{Name: "mg"}
	m := engine.Model{
		Select: "SELECT id, dt, amount FROM src WHERE id <= 2",
		Target: target, Mode: meta.WriteMerge, UniqueKey: []string{"id"},
	}
	cols := "id, dt, amount"
	read := "SELECT " + cols + " FROM mg ORDER BY id"

	wantResult(t, s.run(t, m), true, 2)
	equal(t, "created", s.rows(t, read), srcRows[:2])
	update := m
	update.Select = "SELECT id, dt, amount + 1 AS amount FROM src WHERE id IN (2, 3)"
	merged := []string{"1|2024-01-01|10.50", "2|2024-01-01|21.00", "3|2024-01-02|31.25"}
	wantResult(t, s.run(t, update), false, 2)
	equal(t, "merged", s.rows(t, read), merged)
	wantResult(t, s.run(t, update), false, 2)
	equal(t, "merged twice", s.rows(t, read), merged)

	dup := m
	dup.Select = "SELECT id, dt, amount FROM src UNION ALL SELECT id, dt, amount FROM src WHERE id = 4"
	_, err := s.e.RunModel(t.Context(), &dup)
	if !errors.Is(err, engine.ErrDuplicateKey) || !strings.Contains(err.Error(), "(id) = (4)") {
		t.Errorf("duplicate keys: %v, want ErrDuplicateKey naming (id) = (4)", err)
	}
	equal(t, "after duplicate keys", s.rows(t, read), merged)

	null := m
	null.Select = "SELECT CAST(NULL AS " + s.sql.intCast + ") AS id, dt, amount FROM src WHERE id = 1"
	if _, err := s.e.RunModel(t.Context(), &null); err == nil || !strings.Contains(err.Error(), "NULL") {
		t.Errorf("a NULL key: %v, want an error saying so", err)
	}
	equal(t, "after a NULL key", s.rows(t, read), merged)

	composite := m
	composite.Target = engine.TableRef{Name: "mg_composite"}
	composite.Select = "SELECT id, dt, amount FROM src"
	composite.UniqueKey = []string{"DT", "id"} // the query's spelling wins
	wantResult(t, s.run(t, composite), true, 4)
	wantResult(t, s.run(t, composite), false, 4)
	equal(t, "composite key merged twice", s.rows(t, "SELECT "+cols+" FROM mg_composite ORDER BY id"), srcRows)

	s.checkAtomic(t, update, "id, dt", "", cols)
}

func (s *suite) testInvalidModel(t *testing.T) {
	base := engine.Model{Select: "SELECT id, dt, amount FROM src", Target: engine.TableRef{Name: "invalid"}}
	tests := []struct {
		name   string
		change func(m *engine.Model)
		want   string
	}{
		{"unknown mode", func(m *engine.Model) { m.Mode = "upsert" }, "upsert"},
		{"empty select", func(m *engine.Model) { m.Mode, m.Select = meta.WriteOverwrite, " ; " }, "empty"},
		{"no target", func(m *engine.Model) { m.Mode, m.Target = meta.WriteOverwrite, engine.TableRef{} }, "target"},
		{"partition without value", func(m *engine.Model) { m.Mode, m.Partition = meta.WriteOverwritePartition, "dt" }, "value"},
		{"partition not in query", func(m *engine.Model) {
			m.Mode, m.Partition, m.Value = meta.WriteOverwritePartition, "day", "2024-01-01"
		}, `"day"`},
		{"append without period", func(m *engine.Model) { m.Mode = meta.WriteAppend }, "period"},
		{"merge without key", func(m *engine.Model) { m.Mode = meta.WriteMerge }, "key"},
		{"merge key not in query", func(m *engine.Model) { m.Mode, m.UniqueKey = meta.WriteMerge, []string{"code"} }, `"code"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			tt.change(&m)
			_, err := s.e.RunModel(t.Context(), &m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %s", err, tt.want)
			}
		})
	}
	if _, exists := s.snapshot(t, base.Target, "id"); exists {
		t.Error("an invalid model created its target")
	}
}
