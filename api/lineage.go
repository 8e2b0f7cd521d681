package api

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// TablePage is the data map's page of one table.
type TablePage struct {
	Table string `json:"table"`
	// Producers are the tasks whose lineage writes the table, with their
	// schedule and current SQL.
	Producers []TableProducer `json:"producers"`
	// Readers are the tasks whose lineage reads it.
	Readers    []string           `json:"readers"`
	Upstream   *lineage.Subgraph  `json:"upstream"`
	Downstream *lineage.Subgraph  `json:"downstream"`
	Columns    []ColumnLineage    `json:"columns"`
	Updates    []*meta.TableWrite `json:"updates"`
	// Catalog is what the crawler found: columns with types and comments,
	// size, owner, layer, partitions (nil when it has not seen the table).
	Catalog *meta.CatalogTable `json:"catalog,omitempty"`
	// Changes are the schema changes seen between crawls, newest first.
	Changes []*meta.CatalogChange `json:"changes"`
	// QueriedBy are the people who queried the table in the last 30 days.
	QueriedBy []catalog.Use `json:"queried_by"`
}

// TableProducer is a task that writes a table.
type TableProducer struct {
	Task     string        `json:"task"`
	Version  int           `json:"version"`
	Schedule meta.Schedule `json:"schedule"`
	SQL      string        `json:"sql"`
	Owner    string        `json:"owner,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
}

// ColumnLineage is one column of a table with its direct sources.
type ColumnLineage struct {
	Column  string   `json:"column"`
	Sources []string `json:"sources"`
}

func (s *Server) registerLineageRoutes() {
	if s.lineage == nil {
		return
	}
	graphParams := []param{{"node", "string", "table or table.column"}, {"direction", "string", "down (default) or up"}, {"depth", "integer", "edges away; default 3, 0 for no limit"}}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/lineage/graph", tag: "lineage",
		summary: "Lineage nodes and edges around a table or column", scope: scopeProject, act: meta.ActRead,
		out: lineage.Subgraph{}, query: append(graphParams[:3:3], param{"level", "string", "table (default) or column: a table's column-level lineage, from each of its columns"}),
		h: s.lineageGraph})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/lineage/impact", tag: "lineage",
		summary: "Everything downstream of a table or column, with depth", scope: scopeProject, act: meta.ActRead,
		out: lineage.Subgraph{}, query: graphParams[:1], h: s.lineageImpact})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/datamap/tables/{table}", tag: "lineage",
		summary: "A table's page: producers, lineage, columns, update records", scope: scopeProject, act: meta.ActRead,
		out: TablePage{}, query: []param{{"depth", "integer", "lineage depth; default 3"}}, h: s.tablePage})
}

func depthParam(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("depth")
	if v == "" {
		return def, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 0 {
		return 0, badRequest("depth must be a whole number >= 0, got %q", v)
	}
	return d, nil
}

func (s *Server) lineageGraph(w http.ResponseWriter, r *http.Request, c *call) error {
	node := strings.ToLower(r.URL.Query().Get("node"))
	if node == "" {
		return badRequest("name a node: ?node=TABLE or TABLE.COLUMN")
	}
	dir := r.URL.Query().Get("direction")
	if dir == "" {
		dir = "down"
	}
	if dir != "down" && dir != "up" {
		return badRequest("direction must be down or up, got %q", dir)
	}
	depth, err := depthParam(r, 3)
	if err != nil {
		return err
	}
	level := cmp.Or(r.URL.Query().Get("level"), "table")
	if level != "table" && level != "column" {
		return badRequest("level must be table or column, got %q", level)
	}
	g, _, err := s.lineage.Graph(r.Context(), c.project)
	if err != nil {
		return err
	}
	if level == "column" && g.HasTable(node) {
		writeJSON(w, http.StatusOK, g.WalkColumns(node, dir, depth))
		return nil
	}
	writeJSON(w, http.StatusOK, g.Walk(node, dir, depth))
	return nil
}

func (s *Server) lineageImpact(w http.ResponseWriter, r *http.Request, c *call) error {
	node := strings.ToLower(r.URL.Query().Get("node"))
	if node == "" {
		return badRequest("name a node: ?node=TABLE or TABLE.COLUMN")
	}
	g, _, err := s.lineage.Graph(r.Context(), c.project)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.Walk(node, "down", 0))
	return nil
}

func (s *Server) tablePage(w http.ResponseWriter, r *http.Request, c *call) error {
	table := strings.ToLower(r.PathValue("table"))
	depth, err := depthParam(r, 3)
	if err != nil {
		return err
	}
	g, ls, err := s.lineage.Graph(r.Context(), c.project)
	if err != nil {
		return err
	}
	updates, err := s.lineage.Store().ListTableWrites(r.Context(), c.project.ID, table, 20)
	if err != nil {
		return err
	}
	cat, changes, uses, err := s.tableCatalog(r.Context(), c.project, table)
	if err != nil {
		return err
	}
	if !g.HasTable(table) && len(updates) == 0 && cat == nil {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "table " + table + " is in no task's lineage and was never written"}
	}
	page := &TablePage{Table: table, Readers: nonNil(g.Readers(table)), Producers: []TableProducer{}, Columns: []ColumnLineage{},
		Upstream: g.Walk(table, "up", depth), Downstream: g.Walk(table, "down", depth), Updates: nonNil(updates),
		Catalog: cat, Changes: nonNil(changes), QueriedBy: nonNil(uses)}
	cols := map[string][]string{}
	var order []string
	for _, l := range ls {
		for _, e := range l.Columns {
			if col, ok := strings.CutPrefix(e.Target, table+"."); ok {
				if _, seen := cols[col]; !seen {
					order = append(order, col)
				}
				cols[col] = append(cols[col], e.Source)
			}
		}
		for _, t := range l.Targets {
			if t != table {
				continue
			}
			v, err := s.store.GetVersion(r.Context(), l.TaskID, l.Version)
			if err != nil {
				return err
			}
			page.Producers = append(page.Producers, TableProducer{Task: l.TaskName, Version: l.Version, Schedule: v.Spec.Schedule, SQL: v.Spec.SQL,
				Owner: v.Spec.Owner, Tags: v.Spec.Tags})
		}
	}
	for _, col := range order {
		page.Columns = append(page.Columns, ColumnLineage{Column: col, Sources: cols[col]})
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// tableCatalog is what the catalog knows of a table: its entry, its schema
// changes and who queried it in the last 30 days.
func (s *Server) tableCatalog(ctx context.Context, p *meta.Project, table string) (*meta.CatalogTable, []*meta.CatalogChange, []catalog.Use, error) {
	if s.catalog == nil {
		return nil, nil, nil, nil
	}
	t, err := s.catalog.Find(ctx, p.ID, table)
	if err != nil || t == nil {
		return nil, nil, nil, err
	}
	changes, err := s.catalog.Changes(ctx, p.ID, t.FullName(), 20)
	if err != nil {
		return nil, nil, nil, err
	}
	uses, err := s.catalog.Uses(ctx, p, t, time.Now().AddDate(0, 0, -30))
	return t, changes, uses, err
}
