package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
	"github.com/kilnhq/kiln/scheduler"
)

// DeleteTaskResult says what deleting a task did.
type DeleteTaskResult struct {
	Task string `json:"task"`
	// File is the task's file removed from the project folder ("" when the
	// server keeps no folder for the project, or the file was not there).
	File string `json:"file,omitempty"`
	// Updated are the tasks of the project that named the deleted one as
	// an upstream and were saved without it (force only).
	Updated []string `json:"updated"`
	// Elsewhere are tasks of other projects that named it (force only):
	// they keep the name, which now names no task.
	Elsewhere []string `json:"elsewhere"`
}

func (s *Server) registerStudioTaskRoutes() {
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/tasks/{task}", tag: "tasks",
		summary: "Delete a task as if its file left the folder (versions and instances kept, no more planning) and remove its file from the project folder; 409 listing the dependants while current tasks depend on it unless force, which drops it from their upstreams",
		scope:   scopeProject, act: meta.ActWrite, out: DeleteTaskResult{},
		query: []param{{"force", "boolean", "delete even when current tasks depend on it; those of this project are saved without it as an upstream"}},
		h:     s.deleteTask})
}

func (s *Server) deleteTask(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("force must be true or false, got %q", v)
		}
		force = b
	}
	defer s.lockFolder(c.project.Name)()
	t, err := s.task(ctx, c, r.PathValue("task"))
	if err != nil {
		return err
	}
	if t.Removed {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("task %s was removed from project %s already", t.Name, c.project.Name)}
	}
	v, err := s.store.GetVersion(ctx, t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	g, err := scheduler.LoadGraph(ctx, s.store)
	if err != nil {
		return err
	}
	deps := g.Downstream(c.project.Name, t.Name, 1)
	if len(deps) > 0 && !force {
		names := make([]string, len(deps))
		for i, d := range deps {
			names[i] = d.Project + "." + d.Task
		}
		return &Error{Status: http.StatusConflict, Code: "has_downstream", Details: deps,
			Message: fmt.Sprintf("task %s is an upstream of %s; change their upstreams first or force it (which removes %s from their upstreams)",
				t.Name, strings.Join(names, ", "), t.Name)}
	}
	res := DeleteTaskResult{Task: t.Name, Updated: []string{}, Elsewhere: []string{}}

	// The dependants of this project are saved without the task as an
	// upstream: otherwise the folder would no longer load (an unknown
	// upstream). Every new file is checked before anything changes.
	tc, err := s.taskContext(ctx, c.project)
	if err != nil {
		return err
	}
	without := tc
	without.Tasks = slices.DeleteFunc(slices.Clone(tc.Tasks), func(sp meta.TaskSpec) bool { return sp.Name == t.Name })
	type change struct {
		name string
		file TaskFile
	}
	var changes []change
	var problems []project.Problem
	for _, d := range deps {
		if d.Project != c.project.Name {
			res.Elsewhere = append(res.Elsewhere, d.Project+"."+d.Task)
			continue
		}
		f, err := s.fileWithoutUpstream(ctx, c.project, d.Task, t.Name, tc)
		if err != nil {
			return err
		}
		f.Message = fmt.Sprintf("upstream %s deleted", t.Name)
		if _, probs := project.LoadTask(f.Path, f.Content, without); len(probs) > 0 {
			problems = append(problems, probs...)
		}
		changes = append(changes, change{d.Task, f})
	}
	if len(problems) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_task", Details: problems,
			Message: fmt.Sprintf("the dependants of %s would have %d problem(s) without it; nothing was deleted", t.Name, len(problems))}
	}
	// The task's file is removed: it must not hold a change the server did
	// not store.
	if err := s.checkOnDisk(c.project.Name, v.Spec.Path, v, "", tc); err != nil {
		return err
	}

	// The dependants are saved first: should one fail, the task is still
	// there, and the folder still loads (a dependant saved already simply
	// no longer names it).
	for _, ch := range changes {
		if _, err := s.saveTaskFileAs(ctx, c, ch.name, ch.file, without, tc); err != nil {
			ae := toAPIError(err)
			msg := fmt.Sprintf("task %s was not deleted: saving %s without it failed: %s", t.Name, ch.name, ae.Message)
			if len(res.Updated) > 0 {
				msg += fmt.Sprintf(" (%s no longer name it)", strings.Join(res.Updated, ", "))
			}
			return &Error{Status: ae.Status, Code: ae.Code, Message: msg, Details: ae.Details}
		}
		res.Updated = append(res.Updated, ch.name)
	}
	if err := s.store.RemoveTask(ctx, t.ID); err != nil {
		return err
	}
	if res.File, err = s.removeFromFolder(c.project.Name, v.Spec.Path); err != nil {
		return fmt.Errorf("task %s was removed, but deleting %s from the project folder failed: %w", t.Name, v.Spec.Path, err)
	}
	detail := fmt.Sprintf("version %d from %s; force=%t", v.Version, v.Spec.Path, force)
	if len(res.Updated) > 0 {
		detail += "; dropped from the upstreams of " + strings.Join(res.Updated, ", ")
	}
	if len(res.Elsewhere) > 0 {
		detail += "; still named by " + strings.Join(res.Elsewhere, ", ")
	}
	s.audit(ctx, c.user, c.project.ID, "task.delete", t.Name, detail)
	s.replanSoon()
	writeJSON(w, http.StatusOK, res)
	return nil
}

// fileWithoutUpstream is task name's file (the folder's, else its current
// version rendered) with up taken out of the upstreams its header declares.
// A task that gets up only from its SQL's lineage (auto_upstreams) keeps
// its file as it is: saved again, lineage no longer finds up.
func (s *Server) fileWithoutUpstream(ctx context.Context, p *meta.Project, name, up string, tc project.TaskContext) (TaskFile, error) {
	t, err := s.store.GetTask(ctx, p.ID, name)
	if err != nil {
		return TaskFile{}, err
	}
	v, err := s.store.GetVersion(ctx, t.ID, t.CurrentVersion)
	if err != nil {
		return TaskFile{}, err
	}
	if err := s.checkOnDisk(p.Name, v.Spec.Path, v, "", tc); err != nil {
		return TaskFile{}, err // it is rewritten: it must not hold a change the server did not store
	}
	cur, err := s.currentFile(p.Name, v, tc)
	if err != nil {
		return TaskFile{}, err
	}
	file, content := cur.Path, cur.Content
	declared, probs := project.LoadTask(file, content, tc)
	if len(probs) > 0 {
		return TaskFile{}, fmt.Errorf("task %s's file does not load: %s", name, probs[0].Message)
	}
	ups := slices.DeleteFunc(slices.Clone(declared.Upstreams), func(u string) bool {
		pu := meta.ParseUpstream(u)
		return pu.Task == up && (pu.Project == "" || pu.Project == p.Name)
	})
	if len(ups) == len(declared.Upstreams) {
		return TaskFile{Path: file, Content: content}, nil
	}
	content, err = project.SetTaskSettings(file, content, []project.Setting{upstreamsSetting(ups)})
	if err != nil {
		return TaskFile{}, fmt.Errorf("task %s: %w", name, err)
	}
	return TaskFile{Path: file, Content: content}, nil
}

func upstreamsSetting(ups []string) project.Setting {
	if len(ups) == 0 {
		return project.Setting{Key: "upstreams"}
	}
	return project.Setting{Key: "upstreams", Value: ups}
}

// removeFromFolder deletes a removed task's file from its project's
// folder, if the server keeps one, so the next start (which applies the
// folder) does not bring the task back. It returns the path removed.
func (s *Server) removeFromFolder(projectName, file string) (string, error) {
	f, ok := s.cfg.Folders[projectName]
	if !ok || file == "" || !filepath.IsLocal(filepath.FromSlash(file)) {
		return "", nil
	}
	err := os.Remove(filepath.Join(f.Dir, filepath.FromSlash(file)))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return file, nil
}
