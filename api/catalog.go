package api

import (
	"cmp"
	"net/http"
	"strconv"
	"time"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/meta"
)

// CatalogTables is the catalog of a project.
type CatalogTables struct {
	Tables []*meta.CatalogTable `json:"tables"`
}

// SearchResult is the answer of a catalog search.
type SearchResult struct {
	Hits []catalog.Hit `json:"hits"`
}

// LifecycleResult lists cleanup candidates.
type LifecycleResult struct {
	Days       int                 `json:"days"`
	Candidates []catalog.Candidate `json:"candidates"`
}

// ExpireResult lists the partitions past their table's TTL.
type ExpireResult struct {
	DryRun     bool                    `json:"dry_run"`
	Partitions []catalog.PartitionDrop `json:"partitions"`
}

func (s *Server) registerCatalogRoutes() {
	if s.catalog == nil {
		return
	}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/datamap/tables", tag: "datamap",
		summary: "Every table the catalog crawler found in the project's data sources", scope: scopeProject, act: meta.ActRead,
		out: CatalogTables{}, h: s.catalogTables})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/datamap/crawl", tag: "datamap",
		summary: "Crawl the project's data sources now", scope: scopeProject, act: meta.ActRun,
		out: CatalogTables{}, h: s.catalogCrawl})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/datamap/search", tag: "datamap",
		summary: "Search tables, columns, tags and comments (name matches first)", scope: scopeProject, act: meta.ActRead,
		out: SearchResult{}, query: []param{{"q", "string", "text to find"}, {"engine", "string", "only this data source"},
			{"layer", "string", "ods, dwd, dws, ads or dim"}, {"owner", "string", "producing task's owner"},
			{"tag", "string", "a tag"}, {"limit", "integer", "default 50"}}, h: s.catalogSearch})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/datamap/lifecycle", tag: "datamap",
		summary: "Tables no task writes and nobody queried for N days", scope: scopeProject, act: meta.ActRead,
		out: LifecycleResult{}, query: []param{{"days", "integer", "idle days; default 90"}}, h: s.catalogLifecycle})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/datamap/partitions/expire", tag: "datamap",
		summary: "Drop partitions older than their table's TTL (dry_run=true lists them)", scope: scopeProject, act: meta.ActWrite,
		out: ExpireResult{}, query: []param{{"dry_run", "boolean", "list only"}}, h: s.catalogExpire})
}

func (s *Server) catalogTables(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.catalog.Tables(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CatalogTables{Tables: nonNil(ts)})
	return nil
}

func (s *Server) catalogCrawl(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.catalog.CrawlProject(r.Context(), c.project); err != nil {
		return &Error{Status: http.StatusBadGateway, Code: "crawl_failed", Message: err.Error()}
	}
	return s.catalogTables(w, r, c)
}

func (s *Server) catalogSearch(w http.ResponseWriter, r *http.Request, c *call) error {
	v := r.URL.Query()
	q := catalog.Query{Text: v.Get("q"), Engine: v.Get("engine"), Layer: v.Get("layer"), Owner: v.Get("owner"), Tag: v.Get("tag")}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return badRequest("limit must be a whole number >= 1, got %q", l)
		}
		q.Limit = n
	}
	hits, err := s.catalog.Search(r.Context(), c.project.ID, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SearchResult{Hits: nonNil(hits)})
	return nil
}

func (s *Server) catalogLifecycle(w http.ResponseWriter, r *http.Request, c *call) error {
	days := 90
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("days must be a whole number >= 1, got %q", v)
		}
		days = n
	}
	cands, err := s.catalog.Lifecycle(r.Context(), c.project, days, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, LifecycleResult{Days: days, Candidates: cands})
	return nil
}

func (s *Server) catalogExpire(w http.ResponseWriter, r *http.Request, c *call) error {
	dry := r.URL.Query().Get("dry_run")
	dryRun, err := strconv.ParseBool(cmp.Or(dry, "false"))
	if err != nil {
		return badRequest("dry_run must be true or false, got %q", dry)
	}
	parts, err := s.catalog.ExpiredPartitions(r.Context(), c.project, dryRun, time.Now())
	if !dryRun {
		for _, p := range parts {
			if p.Dropped {
				s.audit(r.Context(), c.user, c.project.ID, "partition.drop", p.Table, p.Column+"="+p.Value)
			}
		}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ExpireResult{DryRun: dryRun, Partitions: parts})
	return nil
}
