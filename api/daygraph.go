package api

import (
	"net/http"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// dayGraphMax caps the instances of one day graph: the web UI's DAG view is
// measured at 2,000 nodes and a day beyond this is better read as a list.
const dayGraphMax = 5000

// DayNode is one instance of a day's graph, without its log or SQL.
type DayNode struct {
	ID         int64        `json:"id"`
	Task       string       `json:"task"`
	Hour       int          `json:"hour"`
	State      meta.State   `json:"state"`
	Trigger    meta.Trigger `json:"trigger"`
	Attempt    int          `json:"attempt"`
	StartedAt  *time.Time   `json:"started_at,omitempty"`
	EndedAt    *time.Time   `json:"ended_at,omitempty"`
	DurationMs int64        `json:"duration_ms"`
}

// DayEdge says Target depends on Source (both instances of the day).
type DayEdge struct {
	Source int64 `json:"source"`
	Target int64 `json:"target"`
}

// DayGraph is a project's instances of one bizdate and the dependency edges
// among them. External counts upstream edges from instances outside the day
// or the project, which the graph leaves out.
type DayGraph struct {
	Date      string    `json:"date"`
	Nodes     []DayNode `json:"nodes"`
	Edges     []DayEdge `json:"edges"`
	External  int       `json:"external"`
	Truncated bool      `json:"truncated"`
}

func (s *Server) registerDayGraphRoutes() {
	if _, ok := s.store.(meta.ScheduleStore); !ok {
		return
	}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/ops/daygraph", tag: "ops",
		summary: "A bizdate's instances of the project with the dependency edges among them (for the DAG view and Gantt chart)",
		scope:   scopeProject, act: meta.ActRead, out: DayGraph{},
		query: []param{{"date", "string", "bizdate (YYYY-MM-DD, required)"}}, h: s.dayGraph})
}

func (s *Server) dayGraph(w http.ResponseWriter, r *http.Request, c *call) error {
	date := r.URL.Query().Get("date")
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return badRequest("date must be a date like 2024-03-01, got %q", date)
	}
	g := DayGraph{Date: date, Nodes: []DayNode{}, Edges: []DayEdge{}}
	in := map[int64]bool{}
	for off := 0; ; off += 1000 {
		page, err := s.store.ListInstances(r.Context(), &meta.ListInstancesParams{
			ProjectID: c.project.ID, BizdateFrom: date, BizdateTo: date, Limit: 1000, Offset: off})
		if err != nil {
			return err
		}
		for _, i := range page {
			if len(g.Nodes) == dayGraphMax {
				g.Truncated = true
				break
			}
			in[i.ID] = true
			g.Nodes = append(g.Nodes, DayNode{ID: i.ID, Task: i.TaskName, Hour: i.Hour, State: i.State, Trigger: i.Trigger,
				Attempt: i.Attempt, StartedAt: i.StartedAt, EndedAt: i.EndedAt, DurationMs: i.DurationMs})
		}
		if len(page) < 1000 || g.Truncated {
			break
		}
	}
	ss := s.store.(meta.ScheduleStore)
	for _, n := range g.Nodes {
		ups, err := ss.Upstreams(r.Context(), n.ID)
		if err != nil {
			return err
		}
		for _, u := range ups {
			if in[u.ID] {
				g.Edges = append(g.Edges, DayEdge{Source: u.ID, Target: n.ID})
			} else {
				g.External++
			}
		}
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}
