package project

import (
	"path"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/quality"
)

// TaskContext is what one task file is checked against when it is saved on
// its own (the studio's editor): the project as stored, without its folder.
type TaskContext struct {
	Project       string
	DefaultEngine string
	Engines       []Engine // names matter; kinds guide lineage
	Config        meta.Config
	// Tasks are the project's other current tasks; a task of the same name
	// is the one being replaced and is ignored.
	Tasks []meta.TaskSpec
}

// LoadTask reads and checks one task file in the context of its project, as
// Load would if the file sat in the folder next to the other tasks. It
// returns the spec with the project defaults applied, or the problems.
func LoadTask(file, src string, tc TaskContext) (meta.TaskSpec, []Problem) {
	var probs problems
	file = strings.TrimPrefix(path.Clean("/"+file), "/")
	switch {
	case file == "" || file == ProjectFile:
		probs.add(file, pos{}, "a task file needs a path like tasks/my_task.sql")
		return meta.TaskSpec{}, probs.sorted()
	case !slices.Contains(taskExts, path.Ext(file)):
		probs.add(file, pos{}, "a task file ends in .sql, .py, .sh or .yaml")
		return meta.TaskSpec{}, probs.sorted()
	}
	dr := readTask(file, src, &probs)
	if dr.broken {
		return dr.spec, probs.sorted()
	}
	dr.check(&probs)
	p := &Project{Name: tc.Project, DefaultEngine: tc.DefaultEngine, Engines: tc.Engines, Config: tc.Config}
	applyDefaults(dr, tc.Config.Defaults)
	checkEngine(dr, p, &probs)
	checkTaskParams(dr, tc.Config.Params, &probs)
	others := map[string]meta.TaskSpec{}
	for _, t := range tc.Tasks {
		if t.Name == dr.spec.Name {
			continue
		}
		others[t.Name] = t
		if t.Path == file {
			probs.add(file, dr.set["name"], "task %s is already saved in %s", t.Name, file)
		}
	}
	for _, u := range dr.ups {
		if t := localUpstream(u.value, tc.Project); t != "" && t != dr.spec.Name && others[t].Name == "" {
			probs.add(file, u.at, "upstreams: unknown task %s", u.value)
		}
	}
	edges := func(n string) []string {
		if n == dr.spec.Name {
			return sameLocal(dr.spec.Upstreams, tc.Project)
		}
		return sameLocal(others[n].Upstreams, tc.Project)
	}
	for _, group := range cycles(append(sortedKeys(others), dr.spec.Name), edges) {
		if len(group) > 1 && slices.Contains(group, dr.spec.Name) {
			probs.add(file, dr.set["upstreams"], "upstreams: tasks %s depend on each other in a cycle", strings.Join(group, ", "))
		}
	}
	if err := quality.ValidateAll(dr.spec.Quality); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			probs.add(file, dr.set["quality"], "quality: %s", line)
		}
	}
	return dr.spec, probs.sorted()
}
