package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// TaskFile is one task as the file it is written in: SQL with its
// /* kiln */ header, a script with its # kiln: header, or a YAML task.
type TaskFile struct {
	Path    string `json:"path"`    // relative to the project folder, e.g. tasks/ods/ods_x.sql
	Content string `json:"content"` // the whole file
	// Message describes a change when saving; it is kept with the version.
	Message string `json:"message,omitempty"`
}

// SaveTaskResult says what saving a task file did.
type SaveTaskResult struct {
	Task    *meta.Task    `json:"task"`
	Current *meta.Version `json:"current"`
	Created bool          `json:"created"` // a new task
	Changed bool          `json:"changed"` // false: the file said what the current version says
}

func (s *Server) registerTaskFileRoutes() {
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/file", tag: "tasks",
		summary: "The task's current version written as its file (header and body)",
		scope:   scopeProject, act: meta.ActRead, out: TaskFile{}, h: s.getTaskFile})
	s.add(&route{method: "PUT", path: "/api/v1/projects/{project}/tasks/{task}/file", tag: "tasks",
		summary: "Create or change one task from its file, checked against the project's other tasks and settings; 422 with the problems, nothing saved",
		scope:   scopeProject, act: meta.ActWrite, in: TaskFile{}, out: SaveTaskResult{}, h: s.putTaskFile})
}

// taskContext is the stored project as the context one task file is
// checked in: its settings, data sources and current tasks.
func (s *Server) taskContext(ctx context.Context, p *meta.Project) (project.TaskContext, error) {
	tc := project.TaskContext{Project: p.Name, DefaultEngine: p.DefaultEngine, Config: p.Config}
	sources, err := s.store.ListDataSources(ctx, p.ID)
	if err != nil {
		return tc, err
	}
	for _, ds := range sources {
		tc.Engines = append(tc.Engines, project.Engine{Name: ds.Name, Kind: ds.Kind})
	}
	tasks, err := s.store.ListTasks(ctx, &meta.ListTasksParams{ProjectID: p.ID})
	if err != nil {
		return tc, err
	}
	var current map[int64]*meta.Version // one query instead of one per task
	if batch, ok := s.store.(meta.PlanBatchStore); ok {
		if current, err = batch.CurrentVersions(ctx, p.ID); err != nil {
			return tc, err
		}
	}
	for _, t := range tasks {
		v := current[t.ID]
		if v == nil || v.Version != t.CurrentVersion { // saved since the list: read it alone
			if v, err = s.store.GetVersion(ctx, t.ID, t.CurrentVersion); err != nil {
				return tc, fmt.Errorf("task %s: %w", t.Name, err)
			}
		}
		tc.Tasks = append(tc.Tasks, v.Spec)
	}
	return tc, nil
}

func (s *Server) getTaskFile(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	v, err := s.store.GetVersion(r.Context(), t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	tc, err := s.taskContext(r.Context(), c.project)
	if err != nil {
		return err
	}
	f, err := s.currentFile(c.project.Name, v, tc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) putTaskFile(w http.ResponseWriter, r *http.Request, c *call) error {
	var req TaskFile
	if err := s.decode(r, &req); err != nil {
		return err
	}
	name := r.PathValue("task")
	defer s.lockFolder(c.project.Name)()
	tc, err := s.taskContext(r.Context(), c.project)
	if err != nil {
		return err
	}
	res, err := s.saveTaskFile(r.Context(), c, name, req, tc)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
	return nil
}

// saveTaskFile checks a task file against the stored project (tc) and saves
// it as the task's new version, or creates the task; an identical spec saves
// nothing. Problems come back as a 422 invalid_task error listing them.
// PUT …/file and PATCH …/settings both save through here.
func (s *Server) saveTaskFile(ctx context.Context, c *call, name string, req TaskFile, tc project.TaskContext) (*SaveTaskResult, error) {
	return s.saveTaskFileAs(ctx, c, name, req, tc, tc)
}

// saveTaskFileAs is saveTaskFile where the folder's files are checked
// against diskTC, the project as they were written for, and the new file
// against tc (a forced delete saves dependants for the project without the
// task, whose files on disk still name it).
func (s *Server) saveTaskFileAs(ctx context.Context, c *call, name string, req TaskFile, tc, diskTC project.TaskContext) (*SaveTaskResult, error) {
	spec, problems := project.LoadTask(req.Path, req.Content, tc)
	if len(problems) == 0 && spec.Name != name {
		problems = append(problems, project.Problem{File: spec.Path, Line: 1,
			Message: fmt.Sprintf("the file is for task %s, not %s: rename the file or set name: %s", spec.Name, name, name)})
	}
	if len(problems) > 0 {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_task",
			Message: fmt.Sprintf("the task file has %d problem(s); nothing was saved", len(problems)), Details: problems}
	}
	if err := s.checkFolderPath(c.project.Name, spec.Path); err != nil {
		return nil, err
	}
	spec = withLineageUpstreams(spec, tc)
	res := &SaveTaskResult{}
	hash := project.SpecHash(spec)
	prevPath := ""
	err := s.store.InTx(ctx, func(tx meta.Store) error {
		*res, prevPath = SaveTaskResult{}, "" // a store may run this again after a deadlock
		t, err := tx.GetTask(ctx, c.project.ID, name)
		if errors.Is(err, meta.ErrNotFound) {
			if err := s.checkOnDisk(c.project.Name, spec.Path, nil, req.Content, diskTC); err != nil {
				return err
			}
			res.Task, res.Current, err = tx.CreateTask(ctx, &meta.CreateTaskParams{
				ProjectID: c.project.ID, Spec: spec, Hash: hash, Author: c.user.Name, Message: req.Message})
			res.Created, res.Changed = err == nil, err == nil
			return err
		}
		if err != nil {
			return err
		}
		cur, err := tx.GetVersion(ctx, t.ID, t.CurrentVersion)
		if err != nil {
			return err
		}
		if !t.Removed {
			prevPath = cur.Spec.Path
		}
		// The folder's files must still say what the store says, or the
		// write back would drop a change made there.
		switch {
		case t.Removed:
			err = s.checkOnDisk(c.project.Name, spec.Path, nil, req.Content, diskTC)
		case prevPath == spec.Path:
			err = s.checkOnDisk(c.project.Name, spec.Path, cur, req.Content, diskTC)
		default: // moved: the old file goes, the new path must be free
			err = errors.Join(s.checkOnDisk(c.project.Name, prevPath, cur, "", diskTC),
				s.checkOnDisk(c.project.Name, spec.Path, nil, req.Content, diskTC))
		}
		if err != nil {
			return err
		}
		if cur.Hash == hash && !t.Removed {
			res.Task, res.Current = t, cur
			return nil
		}
		if res.Current, err = tx.AddVersion(ctx, &meta.AddVersionParams{
			TaskID: t.ID, Spec: spec, Hash: hash, Author: c.user.Name, Message: req.Message}); err != nil {
			return err
		}
		res.Changed = true
		res.Task, err = tx.GetTask(ctx, c.project.ID, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.writeBack(c.project.Name, spec.Path, prevPath, req.Content); err != nil {
		return nil, fmt.Errorf("saved as version %d, but writing %s into the project folder failed: %w", res.Current.Version, spec.Path, err)
	}
	if res.Changed {
		s.replanSoon()
		action := "task.change"
		if res.Created {
			action = "task.create"
		}
		s.audit(ctx, c.user, c.project.ID, action, name, fmt.Sprintf("version %d from %s", res.Current.Version, spec.Path))
	}
	return res, nil
}

// withLineageUpstreams adds the upstreams a task with auto_upstreams gets
// from its SQL's lineage, as a whole-folder apply would.
func withLineageUpstreams(spec meta.TaskSpec, tc project.TaskContext) meta.TaskSpec {
	if !spec.AutoUpstreams {
		return spec
	}
	p := &project.Project{Name: tc.Project, DefaultEngine: tc.DefaultEngine, Engines: tc.Engines, Config: tc.Config}
	for _, t := range tc.Tasks {
		if t.Name != spec.Name {
			p.Tasks = append(p.Tasks, t)
		}
	}
	p.Tasks = append(p.Tasks, spec)
	lineage.AdviseUpstreams(p, true)
	return p.Tasks[len(p.Tasks)-1]
}
