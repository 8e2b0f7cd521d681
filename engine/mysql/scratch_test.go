package mysql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
)

func TestScratch(t *testing.T) {
	e, err := Open("x", testenv.MariaDB(t), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	e.Exec(ctx, "CREATE TABLE src (id INTEGER NOT NULL, dt DATE, amount DECIMAL(10,2))")
	e.Exec(ctx, "INSERT INTO src VALUES (1, '2024-01-01', 10.50), (2, '2024-01-01', 20.00)")
	fail := "SELECT id, dt, CAST(CASE WHEN id = 2 THEN 'oops' ELSE '1' END AS SIGNED) AS amount FROM src"
	for _, m := range []engine.Model{
		{Select: "SELECT * FROM src", Target: engine.TableRef{Schema: "kiln_scratch", Name: "t1"}, Mode: meta.WriteOverwrite},
		{Select: "SELECT * FROM src", Target: engine.TableRef{Schema: "kiln_scratch", Name: "t1"}, Mode: meta.WriteOverwrite},
		{Select: fail, Target: engine.TableRef{Schema: "kiln_scratch", Name: "t1"}, Mode: meta.WriteOverwrite},
		{Select: fail, Target: engine.TableRef{Name: "t2"}, Mode: meta.WriteMerge, UniqueKey: []string{"id"}},
		{Select: "SELECT * FROM src", Target: engine.TableRef{Name: "t2"}, Mode: meta.WriteMerge, UniqueKey: []string{"id"}},
		{Select: "SELECT * FROM src", Target: engine.TableRef{Name: "t3"}, Mode: meta.WriteAppend, Value: "p1"},
		{Select: "SELECT * FROM src", Target: engine.TableRef{Name: "t4"}, Mode: meta.WriteOverwritePartition, Partition: "dt", Value: "2024-01-01"},
		{Select: "SELECT 1 AS id, '2024-01-02' AS dt", Target: engine.TableRef{Name: "t4"}, Mode: meta.WriteOverwritePartition, Partition: "dt", Value: "2024-01-01"},
		{Select: "SELECT id, dt FROM src UNION ALL SELECT 1, '2024-01-01'", Target: engine.TableRef{Name: "t2"}, Mode: meta.WriteMerge, UniqueKey: []string{"id", "dt"}},
	} {
		res, err := e.RunModel(ctx, &m)
		fmt.Println("ERR:", err)
		if res != nil {
			fmt.Println(strings.Join(res.Statements, ";\n"), res.RowsWritten, res.Created)
		}
		fmt.Println("-----")
	}
	tables, _ := e.ListTables(ctx, "")
	fmt.Println(tables)
	e.Exec(ctx, "DROP DATABASE kiln_scratch")
	plan, err := e.Explain(ctx, "SELECT * FROM src WHERE id = 1")
	fmt.Println(plan, err)
	_, err = e.Explain(ctx, "SELEC 1")
	fmt.Println(err)
}
