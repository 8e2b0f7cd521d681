package lineage

import (
	"sort"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// Graph is the lineage of a project: table edges (labelled with the task
// that makes them) and column edges, indexed both ways.
type Graph struct {
	down, up map[string][]gEdge  // node -> neighbours; nodes are tables or table.col
	writers  map[string][]string // table -> tasks writing it
	readers  map[string][]string // table -> tasks reading it
	tables   map[string]bool
	kinds    map[string]string // node -> kind, for nodes that are no table (a data API)
}

type gEdge struct {
	to   string
	task string
}

// GraphNode is a node of a graph answer, at its distance from the start.
type GraphNode struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // table, column or api
	Depth int    `json:"depth"`
}

// GraphEdge is an edge of a graph answer.
type GraphEdge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Task   string `json:"task,omitempty"`
}

// Subgraph is what the graph API returns.
type Subgraph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
	// Tasks are the tasks that write the tables reached downstream (impact)
	// or upstream.
	Tasks []string `json:"tasks"`
	// APIs are the published data APIs reached (leaves of the graph).
	APIs []string `json:"apis"`
}

// Leaf is a consumer at the end of the lineage, such as a published data
// API: a node that reads tables and feeds nothing Kiln tracks.
type Leaf struct {
	Node    string   // e.g. api:/orders/by-city
	Kind    string   // e.g. api
	Sources []string // the tables it reads
}

// AddLeaf puts a leaf downstream of the tables it reads.
func (g *Graph) AddLeaf(l Leaf) {
	g.tables[l.Node] = true
	g.kinds[l.Node] = l.Kind
	for _, s := range l.Sources {
		g.tables[s] = true
		g.add(s, l.Node, "")
	}
}

// NewGraph builds the graph of a project's current task lineage.
func NewGraph(ls []*meta.TaskLineage) *Graph {
	g := &Graph{down: map[string][]gEdge{}, up: map[string][]gEdge{}, writers: map[string][]string{}, readers: map[string][]string{}, tables: map[string]bool{}, kinds: map[string]string{}}
	for _, l := range ls {
		for _, t := range l.Targets {
			g.tables[t] = true
			g.writers[t] = append(g.writers[t], l.TaskName)
			for _, s := range l.Sources {
				g.add(s, t, l.TaskName)
			}
		}
		for _, s := range l.Sources {
			g.tables[s] = true
			g.readers[s] = append(g.readers[s], l.TaskName)
		}
		for _, e := range l.Columns {
			g.add(e.Source, e.Target, l.TaskName)
		}
	}
	return g
}

// AddEdge adds one edge (tables or columns) made by a task.
func (g *Graph) AddEdge(src, dst, task string) { g.add(src, dst, task) }

func (g *Graph) add(src, dst, task string) {
	g.down[src] = append(g.down[src], gEdge{to: dst, task: task})
	g.up[dst] = append(g.up[dst], gEdge{to: src, task: task})
}

// Writers are the tasks whose lineage writes a table.
func (g *Graph) Writers(table string) []string { return g.writers[table] }

// Readers are the tasks whose lineage reads a table.
func (g *Graph) Readers(table string) []string { return g.readers[table] }

// HasTable reports whether a table appears in any task's lineage.
func (g *Graph) HasTable(t string) bool { return g.tables[t] }

// Walk returns the nodes and edges reachable from node going "down" or
// "up", at most depth edges away (depth <= 0: no limit). A table node walks
// table edges; a column node (table.col, when it is no table) walks column
// edges.
func (g *Graph) Walk(node, dir string, depth int) *Subgraph {
	kind := "table"
	if g.isColumn(node) {
		kind = "column"
	}
	return g.walk([]string{node}, kind, dir, depth)
}

// WalkColumns walks the column edges of every column of table that has
// any, going "down" or "up", at most depth edges away (depth <= 0: no
// limit): the table's column-level lineage. The table's columns are the
// answer's nodes at depth 0; a table with no column edges gives an empty
// answer.
func (g *Graph) WalkColumns(table, dir string, depth int) *Subgraph {
	return g.walk(g.ColumnsOf(table), "column", dir, depth)
}

// ColumnsOf lists, sorted, the column nodes (table.col) of a table that
// have column edges.
func (g *Graph) ColumnsOf(table string) []string {
	prefix := table + "."
	seen := map[string]bool{}
	for _, adj := range []map[string][]gEdge{g.down, g.up} {
		for n := range adj {
			// table.col, not a column of a longer table name (ods.x.col of
			// table ods) and not a table itself.
			if rest, ok := strings.CutPrefix(n, prefix); ok && rest != "" && !strings.Contains(rest, ".") && g.isColumn(n) {
				seen[n] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (g *Graph) walk(starts []string, kind, dir string, depth int) *Subgraph {
	adj := g.down
	if dir == "up" {
		adj = g.up
	}
	seen := map[string]int{}
	out := &Subgraph{Nodes: []GraphNode{}, Edges: []GraphEdge{}, Tasks: []string{}, APIs: []string{}}
	for _, n := range starts {
		seen[n] = 0
		out.Nodes = append(out.Nodes, GraphNode{ID: n, Kind: g.kindOf(n, kind), Depth: 0})
	}
	tasks := map[string]bool{}
	frontier := starts
	for d := 1; len(frontier) > 0 && (depth <= 0 || d <= depth); d++ {
		var next []string
		for _, n := range frontier {
			for _, e := range adj[n] {
				if g.isColumn(e.to) != (kind == "column") {
					continue
				}
				src, dst := n, e.to
				if dir == "up" {
					src, dst = e.to, n
				}
				out.Edges = append(out.Edges, GraphEdge{Source: src, Target: dst, Task: e.task})
				if e.task != "" {
					tasks[e.task] = true
				}
				if _, ok := seen[e.to]; !ok {
					seen[e.to] = d
					k := g.kindOf(e.to, kind)
					if k == "api" {
						out.APIs = append(out.APIs, e.to)
					}
					out.Nodes = append(out.Nodes, GraphNode{ID: e.to, Kind: k, Depth: d})
					next = append(next, e.to)
				}
			}
		}
		frontier = next
	}
	for t := range tasks {
		out.Tasks = append(out.Tasks, t)
	}
	sort.Strings(out.Tasks)
	return out
}

func (g *Graph) kindOf(n, def string) string {
	if k, ok := g.kinds[n]; ok {
		return k
	}
	return def
}

// isColumn tells a column node from a table node: tables are the names
// that appear as sources or targets of some task.
func (g *Graph) isColumn(n string) bool { return !g.tables[n] }
