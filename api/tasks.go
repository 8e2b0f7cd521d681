package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing/fstest"
	"time"

	"github.com/kilnhq/kiln/apply"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// ApplyRequest carries a project folder: every file by its path relative to
// the folder, and data-source passwords by data-source name.
type ApplyRequest struct {
	Files   map[string]string `json:"files"`
	Secrets map[string]string `json:"secrets,omitempty"`
	DryRun  bool              `json:"dry_run,omitempty"`
	Message string            `json:"message,omitempty"`
}

// ValidateRequest carries a project folder to check.
type ValidateRequest struct {
	Files map[string]string `json:"files"`
}

// ValidateResponse lists every problem found.
type ValidateResponse struct {
	Problems []project.Problem `json:"problems"`
}

// TaskDetail is a task with its current definition.
type TaskDetail struct {
	Task    *meta.Task    `json:"task"`
	Current *meta.Version `json:"current"`
}

// DiffResponse is a unified diff between two versions of a task.
type DiffResponse struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Diff string `json:"diff"`
}

// RunRequest asks for one run of a task for one period.
type RunRequest struct {
	Bizdate string            `json:"bizdate"` // YYYY-MM-DD
	Hour    int               `json:"hour,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
}

func (s *Server) registerTaskRoutes() {
	s.add(&route{method: "POST", path: "/api/v1/validate", tag: "tasks", summary: "Check a project folder without saving anything",
		scope: scopeUser, in: ValidateRequest{}, out: ValidateResponse{}, h: s.validate})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/apply", tag: "tasks",
		summary: "Save a project folder: a new version of every changed task; nothing changes if any problem is found (422 with the problems)",
		scope:   scopeUser, in: ApplyRequest{}, out: apply.Result{}, h: s.apply})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks", tag: "tasks", summary: "Tasks of the project",
		scope: scopeProject, act: meta.ActRead, out: []meta.Task{}, query: []param{{"removed", "boolean", "include tasks removed from the folder"}}, h: s.listTasks})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}", tag: "tasks", summary: "A task and its current version",
		scope: scopeProject, act: meta.ActRead, out: TaskDetail{}, h: s.getTask})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/versions", tag: "tasks", summary: "Every version of a task, newest first",
		scope: scopeProject, act: meta.ActRead, out: []meta.Version{}, h: s.listVersions})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/versions/{version}", tag: "tasks", summary: "One version of a task",
		scope: scopeProject, act: meta.ActRead, out: meta.Version{}, h: s.getVersion})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/diff", tag: "tasks", summary: "Unified diff between two versions (default: previous and current)",
		scope: scopeProject, act: meta.ActRead, out: DiffResponse{}, query: []param{{"from", "integer", "older version"}, {"to", "integer", "newer version"}}, h: s.diffVersions})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/tasks/{task}/runs", tag: "instances", summary: "Run the task's current version for one period; returns the queued instance",
		scope: scopeProject, act: meta.ActRun, in: RunRequest{}, out: meta.Instance{}, h: s.runTask})
}

func filesFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	return fsys
}

func invalidProject(problems []project.Problem) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_project",
		Message: fmt.Sprintf("the project has %d problem(s); nothing was changed", len(problems)), Details: problems}
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req ValidateRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	_, problems := project.Load(filesFS(req.Files))
	writeJSON(w, http.StatusOK, ValidateResponse{Problems: nonNil(problems)})
	return nil
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request, c *call) error {
	var req ApplyRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	p, problems := project.Load(filesFS(req.Files))
	if len(problems) > 0 {
		return invalidProject(problems)
	}
	name := r.PathValue("project")
	if p.Name != name {
		return badRequest("kiln.yaml names project %q but the request is for %q", p.Name, name)
	}
	existing, err := s.store.GetProject(r.Context(), name)
	switch {
	case err == nil:
		c.project = existing
		if err := s.checkRole(r.Context(), c, meta.ActWrite); err != nil {
			return err
		}
	case !errors.Is(err, meta.ErrNotFound):
		return err
	}
	res, err := apply.Apply(r.Context(), s.store, s.box, p, apply.Options{
		Secrets: req.Secrets, Author: c.user.Name, Message: req.Message, DryRun: req.DryRun,
		OnCreate: func(ctx context.Context, tx meta.Store, proj *meta.Project) error {
			_, err := tx.SetMember(ctx, &meta.SetMemberParams{ProjectID: proj.ID, UserID: c.user.ID, Role: meta.RoleOwner})
			return err
		},
	})
	if err != nil {
		return err
	}
	if !req.DryRun {
		s.replanSoon()
		s.poolsChanged() // a new project's pools must cap its first runs
		proj, _ := s.store.GetProject(r.Context(), name)
		if proj != nil {
			s.audit(r.Context(), c.user, proj.ID, "project.apply", name,
				fmt.Sprintf("added %d, changed %d, removed %d", len(res.Added), len(res.Changed), len(res.Removed)))
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.store.ListTasks(r.Context(), &meta.ListTasksParams{ProjectID: c.project.ID, IncludeRemoved: r.URL.Query().Get("removed") == "true"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ts))
	return nil
}

func (s *Server) task(ctx context.Context, c *call, name string) (*meta.Task, error) {
	return s.store.GetTask(ctx, c.project.ID, name)
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	v, err := s.store.GetVersion(r.Context(), t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TaskDetail{Task: t, Current: v})
	return nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	vs, err := s.store.ListVersions(r.Context(), t.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(vs))
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		return badRequest("version must be a whole number, got %q", r.PathValue("version"))
	}
	v, err := s.store.GetVersion(r.Context(), t.ID, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) diffVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	to, err := queryInt(r, "to", t.CurrentVersion)
	if err != nil {
		return err
	}
	from, err := queryInt(r, "from", to-1)
	if err != nil {
		return err
	}
	if from < 1 {
		return badRequest("task %s has only version %d; nothing to compare it with", t.Name, to)
	}
	a, err := s.store.GetVersion(r.Context(), t.ID, from)
	if err != nil {
		return err
	}
	b, err := s.store.GetVersion(r.Context(), t.ID, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, DiffResponse{From: from, To: to, Diff: apply.Diff(a, b)})
	return nil
}

func (s *Server) runTask(w http.ResponseWriter, r *http.Request, c *call) error {
	var req RunRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, req.Bizdate); err != nil {
		return badRequest("bizdate must be a date like 2024-03-01, got %q", req.Bizdate)
	}
	if req.Hour < 0 || req.Hour > 23 {
		return badRequest("hour must be 0-23, got %d", req.Hour)
	}
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	if t.Removed {
		return &Error{Status: http.StatusConflict, Code: "task_removed", Message: fmt.Sprintf("task %s was removed from the project; apply it again to run it", t.Name)}
	}
	v, err := s.store.GetVersion(r.Context(), t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	inst, err := s.store.CreateInstance(r.Context(), &meta.CreateInstanceParams{
		ProjectID: c.project.ID, TaskID: t.ID, VersionID: v.ID, Bizdate: req.Bizdate, Hour: req.Hour,
		State: meta.StateQueued, Trigger: meta.TriggerManual, Priority: v.Spec.Priority, Pool: v.Spec.Pool,
		Params: req.Params, CreatedBy: c.user.Name,
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "task.run", t.Name, req.Bizdate)
	if s.disp != nil {
		s.disp.Wake()
	}
	writeJSON(w, http.StatusCreated, inst)
	return nil
}
