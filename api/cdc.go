package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/meta"
)

func (s *Server) registerCDCRoutes() {
	if s.cdc == nil {
		return
	}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/cdc", tag: "cdc", summary: "CDC jobs this server runs, with lag",
		scope: scopeProject, act: meta.ActRead, out: []integration.CDCStatus{}, h: s.listCDC})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/cdc/{task}", tag: "cdc", summary: "A CDC job's state, position and lag",
		scope: scopeProject, act: meta.ActRead, out: integration.CDCStatus{}, h: s.cdcAction("status")})
	for _, a := range []struct{ verb, summary string }{
		{"start", "Start a CDC job (snapshot first, or resume from its saved binlog position)"},
		{"stop", "Stop a CDC job; it stays stopped across server restarts"},
		{"restart", "Stop a CDC job and start it again from its saved binlog position"},
	} {
		s.add(&route{method: "POST", path: "/api/v1/projects/{project}/cdc/{task}/" + a.verb, tag: "cdc", summary: a.summary,
			scope: scopeProject, act: meta.ActRun, out: integration.CDCStatus{}, h: s.cdcAction(a.verb)})
	}
}

func (s *Server) listCDC(w http.ResponseWriter, r *http.Request, c *call) error {
	out := s.cdc.List(c.project.Name)
	if out == nil {
		out = []*integration.CDCStatus{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) cdcAction(verb string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		task := r.PathValue("task")
		var st *integration.CDCStatus
		var err error
		switch verb {
		case "start":
			st, err = s.cdc.StartJob(r.Context(), c.project.Name, task)
		case "stop":
			st, err = s.cdc.StopJob(r.Context(), c.project.Name, task)
		case "restart":
			st, err = s.cdc.RestartJob(r.Context(), c.project.Name, task)
		default:
			st, err = s.cdc.Status(r.Context(), c.project.Name, task)
		}
		if errors.Is(err, integration.ErrNotCDC) {
			return badRequest("%v", err)
		}
		if err != nil {
			return err
		}
		if verb != "status" {
			s.audit(r.Context(), c.user, c.project.ID, "cdc."+verb, task, "")
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
}

// syncMetrics is a sync instance's run metrics; nil for other tasks
// (which have none) or when the store keeps none.
func (s *Server) syncMetrics(ctx context.Context, i *meta.Instance) *meta.SyncMetrics {
	ms, ok := s.store.(meta.SyncMetricsStore)
	if !ok {
		return nil
	}
	m, err := ms.GetSyncMetrics(ctx, i.ID)
	if err != nil {
		return nil
	}
	return m
}
