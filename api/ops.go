package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

// RerunRequest asks to rerun an instance, with its downstream instances of
// the same bizdate if Downstream.
type RerunRequest struct {
	Downstream bool `json:"downstream,omitempty"`
}

// BackfillRequest asks for a backfill of tasks of the project.
type BackfillRequest struct {
	Tasks      []string `json:"tasks"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Downstream bool     `json:"downstream,omitempty"`
	Parallel   int      `json:"parallel,omitempty"` // periods in flight; 0: no limit
	Order      string   `json:"order,omitempty"`    // asc (default) or desc
	DryRun     bool     `json:"dry_run,omitempty"`
}

// OfflineRequest takes tasks offline; Force does so even when online tasks
// depend on them.
type OfflineRequest struct {
	Force bool `json:"force,omitempty"`
}

// TaskDeps lists a task's upstream or downstream tasks.
type TaskDeps struct {
	Task  string              `json:"task"`
	Tasks []scheduler.TaskRef `json:"tasks"`
}

func (s *Server) registerOpsRoutes() {
	if s.ops == nil {
		return
	}
	depth := []param{{"depth", "integer", "levels to walk (default 1; 0: all)"}}
	s.add(&route{method: "POST", path: "/api/v1/instances/{id}/rerun", tag: "ops",
		summary: "Rerun a finished instance; with downstream, its downstream instances of the same bizdate run again after it, in dependency order",
		scope:   scopeInstance, act: meta.ActRun, in: RerunRequest{}, out: []meta.Instance{}, h: s.rerunInstance})
	s.add(&route{method: "POST", path: "/api/v1/instances/{id}/set-success", tag: "ops", summary: "Mark an instance success; its downstream instances proceed",
		scope: scopeInstance, act: meta.ActRun, out: meta.Instance{}, h: s.markInstance(meta.StateSuccess)})
	s.add(&route{method: "POST", path: "/api/v1/instances/{id}/set-failed", tag: "ops", summary: "Mark an instance failed; its waiting downstream instances become upstream_failed",
		scope: scopeInstance, act: meta.ActRun, out: meta.Instance{}, h: s.markInstance(meta.StateFailed)})
	s.add(&route{method: "GET", path: "/api/v1/instances/{id}/why", tag: "ops",
		summary: "Why the instance is not running: unmet upstream chain, paused task, pool full, waiting for its time",
		scope:   scopeInstance, act: meta.ActRead, out: scheduler.Why{}, h: s.whyInstance})
	for _, dir := range []string{"upstream", "downstream"} {
		s.add(&route{method: "GET", path: "/api/v1/instances/{id}/" + dir, tag: "ops", summary: "The instance's " + dir + " instances",
			scope: scopeInstance, act: meta.ActRead, query: depth, out: []scheduler.InstanceNode{}, h: s.instanceDeps(dir == "upstream")})
		s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/" + dir, tag: "ops", summary: "The task's " + dir + " tasks, in any project",
			scope: scopeProject, act: meta.ActRead, query: depth, out: TaskDeps{}, h: s.taskDeps(dir == "upstream")})
	}
	for _, st := range []meta.TaskStatus{meta.TaskPaused, meta.TaskActive} {
		verb := map[meta.TaskStatus]string{meta.TaskPaused: "pause", meta.TaskActive: "resume"}[st]
		s.add(&route{method: "POST", path: "/api/v1/projects/{project}/tasks/{task}/" + verb, tag: "ops",
			summary: verb + " a task: paused tasks' instances are planned but not run",
			scope:   scopeProject, act: meta.ActRun, out: meta.Task{}, h: s.setTaskStatus(st, verb)})
	}
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/tasks/{task}/offline", tag: "ops",
		summary: "Take a task offline (no more planning); refused with 409 while online tasks depend on it unless force",
		scope:   scopeProject, act: meta.ActWrite, in: OfflineRequest{}, out: meta.Task{}, h: s.offlineTask})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/backfills", tag: "ops",
		summary: "Backfill tasks for a range of bizdates, at most parallel periods in flight; dry_run lists what it would create",
		scope:   scopeProject, act: meta.ActRun, in: BackfillRequest{}, out: scheduler.BackfillResult{}, h: s.backfill})
}

func (s *Server) rerunInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	var req RerunRequest
	if r.ContentLength != 0 {
		if err := s.decode(r, &req); err != nil {
			return err
		}
	}
	insts, err := s.ops.Rerun(r.Context(), c.instance.ID, req.Downstream, c.user.Name)
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "instance.rerun", strconv.FormatInt(c.instance.ID, 10), fmt.Sprintf("downstream=%t", req.Downstream))
	s.wakeWorkers()
	writeJSON(w, http.StatusOK, insts)
	return nil
}

func (s *Server) wakeWorkers() {
	if s.disp != nil {
		s.disp.Wake()
	}
	s.replanSoon()
}

func (s *Server) markInstance(to meta.State) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		inst, err := s.ops.Mark(r.Context(), c.instance.ID, to, c.user.Name)
		if err != nil {
			return err
		}
		s.audit(r.Context(), c.user, c.project.ID, "instance.set_"+string(to), strconv.FormatInt(c.instance.ID, 10), "")
		s.wakeWorkers()
		writeJSON(w, http.StatusOK, inst)
		return nil
	}
}

func (s *Server) whyInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	why, err := s.ops.Why(r.Context(), c.instance.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, why)
	return nil
}

func opsDepth(r *http.Request) (int, error) {
	d, err := queryInt(r, "depth", 1)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, badRequest("depth must be 0 (all) or more, got %d", d)
	}
	return d, nil
}

func (s *Server) instanceDeps(up bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		d, err := opsDepth(r)
		if err != nil {
			return err
		}
		nodes, err := s.ops.InstanceNeighbours(r.Context(), c.instance.ID, up, d)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, nonNil(nodes))
		return nil
	}
}

func (s *Server) taskDeps(up bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		d, err := opsDepth(r)
		if err != nil {
			return err
		}
		t, err := s.task(r.Context(), c, r.PathValue("task"))
		if err != nil {
			return err
		}
		g, err := s.ops.Graph(r.Context())
		if err != nil {
			return err
		}
		var refs []scheduler.TaskRef
		if up {
			refs = g.Upstream(c.project.Name, t.Name, d)
		} else {
			refs = g.Downstream(c.project.Name, t.Name, d)
		}
		writeJSON(w, http.StatusOK, TaskDeps{Task: t.Name, Tasks: nonNil(refs)})
		return nil
	}
}

func (s *Server) setTaskStatus(st meta.TaskStatus, verb string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		t, err := s.task(r.Context(), c, r.PathValue("task"))
		if err != nil {
			return err
		}
		if err := s.store.SetTaskStatus(r.Context(), t.ID, st); err != nil {
			return err
		}
		t.Status = st
		s.audit(r.Context(), c.user, c.project.ID, "task."+verb, t.Name, "")
		s.wakeWorkers() // a resumed task's queued instances may run now
		writeJSON(w, http.StatusOK, t)
		return nil
	}
}

func (s *Server) offlineTask(w http.ResponseWriter, r *http.Request, c *call) error {
	var req OfflineRequest
	if r.ContentLength != 0 {
		if err := s.decode(r, &req); err != nil {
			return err
		}
	}
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	if !req.Force {
		g, err := s.ops.Graph(r.Context())
		if err != nil {
			return err
		}
		var online []string
		for _, d := range g.Downstream(c.project.Name, t.Name, 1) {
			if d.Status != meta.TaskOffline {
				online = append(online, d.Project+"."+d.Task)
			}
		}
		if len(online) > 0 {
			return &Error{Status: http.StatusConflict, Code: "has_downstream",
				Message: fmt.Sprintf("task %s has online downstream tasks: %s; take them offline first or force it", t.Name, strings.Join(online, ", "))}
		}
	}
	if err := s.store.SetTaskStatus(r.Context(), t.ID, meta.TaskOffline); err != nil {
		return err
	}
	t.Status = meta.TaskOffline
	s.audit(r.Context(), c.user, c.project.ID, "task.offline", t.Name, fmt.Sprintf("force=%t", req.Force))
	s.replanSoon()
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) backfill(w http.ResponseWriter, r *http.Request, c *call) error {
	var req BackfillRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.Parallel < 0 {
		return badRequest("parallel must be 0 (no limit) or more, got %d", req.Parallel)
	}
	res, err := s.ops.Planner.Backfill(r.Context(), &scheduler.BackfillRequest{Project: c.project, Tasks: req.Tasks,
		From: req.From, To: req.To, Downstream: req.Downstream, Parallel: req.Parallel, Order: req.Order,
		DryRun: req.DryRun, CreatedBy: c.user.Name})
	if errors.Is(err, scheduler.ErrInvalid) {
		return badRequest("%s", strings.TrimSuffix(err.Error(), ": "+scheduler.ErrInvalid.Error()))
	}
	if err != nil {
		return err
	}
	if !req.DryRun {
		s.audit(r.Context(), c.user, c.project.ID, "backfill", strings.Join(req.Tasks, ","),
			fmt.Sprintf("%s..%s parallel=%d instances=%d", req.From, req.To, req.Parallel, res.Count))
		s.wakeWorkers()
	}
	status := http.StatusCreated
	if req.DryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
	return nil
}
