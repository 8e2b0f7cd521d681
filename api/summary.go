package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

// MaxSummaryDays is the longest range of business dates one ops summary
// covers.
const MaxSummaryDays = 366

// maxSummaryTop caps the top parameter.
const maxSummaryTop = 100

func (s *Server) registerSummaryRoutes() {
	if s.ops == nil {
		return
	}
	q := []param{
		{"from", "string", "bizdate from, YYYY-MM-DD (default 7 days before to)"},
		{"to", "string", "bizdate to, YYYY-MM-DD (default today); at most 366 days after from"},
		{"group_by", "string", "owner, tier or project (one series per group per bizdate); empty: no grouping"},
		{"owner", "string", "only tasks with this owner"},
		{"tier", "string", "only tasks of this tier"},
		{"top", "integer", "keep the top N groups by instance count and merge the rest into one others row (0: all; at most 100)"},
	}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/ops/summary", tag: "ops",
		summary: "Per bizdate (and group): instance counts by state, success and on-time rates, total and p95 duration, CPU-seconds and CPU-hours",
		scope:   scopeProject, act: meta.ActRead, out: []scheduler.Summary{}, query: q, h: s.opsSummary})
	s.add(&route{method: "GET", path: "/api/v1/ops/summary", tag: "ops",
		summary: "The ops summary over every project the caller is a member of (administrators: all), by default grouped by project",
		scope:   scopeUser, out: []scheduler.Summary{}, query: q, h: s.opsSummaryAll})
}

// summaryParams reads and checks the summary's query parameters.
func summaryParams(r *http.Request, defGroup meta.SummaryGroup) (*meta.SummaryParams, error) {
	q := r.URL.Query()
	p := &meta.SummaryParams{GroupBy: defGroup, Owner: strings.TrimSpace(q.Get("owner")), Tier: strings.TrimSpace(q.Get("tier"))}
	if t := meta.Tier(p.Tier); t != "" && t != meta.TierCore && t != meta.TierNormal {
		return nil, badRequest("unknown tier %q (want core or normal)", p.Tier)
	}
	if q.Has("group_by") {
		switch g := meta.SummaryGroup(q.Get("group_by")); g {
		case meta.GroupNone, "none":
			p.GroupBy = meta.GroupNone
		case meta.GroupOwner, meta.GroupTier, meta.GroupProject:
			p.GroupBy = g
		default:
			return nil, badRequest("group_by must be owner, tier, project or none, got %q", g)
		}
	}
	to := time.Now().UTC().Truncate(24 * time.Hour)
	if v := q.Get("to"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, badRequest("to must be a date like 2024-03-01, got %q", v)
		}
		to = t
	}
	from := to.AddDate(0, 0, -7)
	if v := q.Get("from"); v != "" {
		f, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, badRequest("from must be a date like 2024-03-01, got %q", v)
		}
		from = f
	}
	if from.After(to) {
		return nil, badRequest("from (%s) is after to (%s)", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > MaxSummaryDays {
		return nil, badRequest("the range covers %d days; at most %d are summarized at once", days, MaxSummaryDays)
	}
	p.BizdateFrom, p.BizdateTo = from.Format(time.DateOnly), to.Format(time.DateOnly)
	top, err := queryInt(r, "top", 0)
	if err != nil {
		return nil, err
	}
	if top < 0 || top > maxSummaryTop {
		return nil, badRequest("top must be between 0 (all groups) and %d, got %d", maxSummaryTop, top)
	}
	if top > 0 && p.GroupBy == meta.GroupNone {
		return nil, badRequest("top keeps the largest groups, so it needs group_by (owner, tier or project)")
	}
	p.Top = top
	return p, nil
}

func (s *Server) opsSummary(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := summaryParams(r, meta.GroupNone)
	if err != nil {
		return err
	}
	p.ProjectIDs = []int64{c.project.ID}
	sum, err := s.ops.Summarize(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(sum))
	return nil
}

func (s *Server) opsSummaryAll(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := summaryParams(r, meta.GroupProject)
	if err != nil {
		return err
	}
	projects, err := s.visibleProjects(r.Context(), c.user)
	if err != nil {
		return err
	}
	p.ProjectIDs = make([]int64, 0, len(projects))
	for _, pr := range projects {
		p.ProjectIDs = append(p.ProjectIDs, pr.Project.ID)
	}
	sum, err := s.ops.Summarize(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(sum))
	return nil
}
