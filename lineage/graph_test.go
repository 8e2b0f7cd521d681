package lineage

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/meta"
)

func edgeList(s *Subgraph) string {
	var parts []string
	for _, e := range s.Edges {
		parts = append(parts, e.Source+">"+e.Target)
	}
	return strings.Join(parts, " ")
}

// A three-layer graph: ods.a → dwd.b (two columns), dwd.b → ads.c (one),
// and a table named ods whose column ods.a must not count as dwd.b's.
func testGraph() *Graph {
	return NewGraph([]*meta.TaskLineage{
		{TaskName: "b", Sources: []string{"ods.a"}, Targets: []string{"dwd.b"}, Columns: []meta.LineageEdge{
			{Source: "ods.a.id", Target: "dwd.b.id"}, {Source: "ods.a.amount", Target: "dwd.b.total"}}},
		{TaskName: "c", Sources: []string{"dwd.b"}, Targets: []string{"ads.c"}, Columns: []meta.LineageEdge{
			{Source: "dwd.b.total", Target: "ads.c.total"}}},
		{TaskName: "o", Sources: []string{"x"}, Targets: []string{"ods"}, Columns: []meta.LineageEdge{
			{Source: "x.k", Target: "ods.k"}}},
	})
}

func TestGraph_ColumnsOf(t *testing.T) {
	g := testGraph()
	cases := []struct{ table, want string }{
		{"dwd.b", "dwd.b.id dwd.b.total"},
		{"ods.a", "ods.a.amount ods.a.id"},
		{"ods", "ods.k"}, // ods.a is a table, ods.a.id a column of ods.a
		{"ads.c", "ads.c.total"},
		{"no.such", ""},
	}
	for _, c := range cases {
		if got := strings.Join(g.ColumnsOf(c.table), " "); got != c.want {
			t.Errorf("ColumnsOf(%s) = %q, want %q", c.table, got, c.want)
		}
	}
}

func TestGraph_WalkColumns(t *testing.T) {
	g := testGraph()
	cases := []struct {
		table, dir string
		depth      int
		edges      string
		nodes      int
	}{
		{"dwd.b", "up", 1, "ods.a.id>dwd.b.id ods.a.amount>dwd.b.total", 4},
		{"dwd.b", "down", 1, "dwd.b.total>ads.c.total", 3},
		{"ods.a", "down", 0, "ods.a.amount>dwd.b.total ods.a.id>dwd.b.id dwd.b.total>ads.c.total", 5},
		{"ods.a", "down", 1, "ods.a.amount>dwd.b.total ods.a.id>dwd.b.id", 4},
		{"ads.c", "down", 1, "", 1},
		{"no.such", "up", 1, "", 0},
	}
	for _, c := range cases {
		s := g.WalkColumns(c.table, c.dir, c.depth)
		if got := edgeList(s); got != c.edges {
			t.Errorf("WalkColumns(%s, %s, %d) edges %q, want %q", c.table, c.dir, c.depth, got, c.edges)
		}
		if len(s.Nodes) != c.nodes {
			t.Errorf("WalkColumns(%s, %s, %d): %d nodes, want %d: %+v", c.table, c.dir, c.depth, len(s.Nodes), c.nodes, s.Nodes)
		}
		for _, n := range s.Nodes {
			if n.Kind != "column" {
				t.Errorf("node %s has kind %s", n.ID, n.Kind)
			}
		}
	}
	// A table walk still walks table edges only.
	if got := edgeList(g.Walk("ods.a", "down", 0)); got != "ods.a>dwd.b dwd.b>ads.c" {
		t.Errorf("table walk: %q", got)
	}
}
