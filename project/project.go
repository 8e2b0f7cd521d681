// Package project reads a Kiln project folder — kiln.yaml and one file per
// task — into a Project of task specs, and reports every problem it finds
// with its file, line and column, as `kiln validate` prints them. It reads
// from an fs.FS, so the CLI passes os.DirFS and the server a map of files.
// The format is specified in docs/projects.md.
package project

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// ProjectFile is the name of the project file at the folder's root.
const ProjectFile = "kiln.yaml"

// DefaultTaskDir is where task files live when kiln.yaml names no task_dirs.
const DefaultTaskDir = "tasks"

// Engine is a data source a project's SQL tasks run on.
type Engine struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`                   // duckdb, postgres or mysql
	DSN         string            `json:"dsn,omitempty"`          // without a password
	Path        string            `json:"path,omitempty"`         // duckdb: the database file; empty for the embedded warehouse
	PasswordEnv string            `json:"password_env,omitempty"` // the environment variable holding the password
	Options     map[string]string `json:"options,omitempty"`
}

// Project is a project folder as read.
type Project struct {
	Name          string      `json:"name"`
	Description   string      `json:"description,omitempty"`
	DefaultEngine string      `json:"default_engine,omitempty"`
	Engines       []Engine    `json:"engines,omitempty"` // sorted by name
	Config        meta.Config `json:"config"`
	// AlertsSet and PoolsSet say that kiln.yaml has an alerts: or pools:
	// section (even an empty one). An apply replaces the stored alert
	// settings and pools only then, so a folder without them keeps what
	// was set in the web UI.
	AlertsSet bool     `json:"alerts_set,omitempty"`
	PoolsSet  bool     `json:"pools_set,omitempty"`
	TaskDirs  []string `json:"task_dirs"` // slash-separated, relative to the folder
	// Tasks are sorted by name, with the project defaults applied, Path set
	// and the SQL or script body filled in.
	Tasks []meta.TaskSpec `json:"tasks"`
}

// taskExts are the extensions of task files.
var taskExts = []string{".sql", ".sh", ".py", ".yaml"}

// Load reads the project in fsys. It returns every problem found, sorted by
// file and line; when there are problems the Project may be partial, and
// should not be applied.
func Load(fsys fs.FS) (*Project, []Problem) {
	var probs problems
	src, err := fs.ReadFile(fsys, ProjectFile)
	if err != nil {
		msg := "cannot read the project file: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "no kiln.yaml here: run kiln init to start a project"
		}
		probs.add(ProjectFile, pos{}, "%s", msg)
		return &Project{}, probs.sorted()
	}
	pf := readProjectFile(string(src), &probs)
	p := pf.p
	if pf.broken {
		// Tasks cannot be checked against engines and parameters unread.
		return p, probs.sorted()
	}
	checkProjectParams(pf, &probs)
	p.TaskDirs = pf.taskDirList(&probs)
	var drafts []*draft
	for _, file := range findTaskFiles(fsys, pf, p.TaskDirs, &probs) {
		body, err := fs.ReadFile(fsys, file)
		if err != nil {
			probs.add(file, pos{}, "cannot read the task file: %v", err)
			continue
		}
		dr := readTask(file, string(body), &probs)
		if !dr.broken {
			dr.check(&probs)
		}
		drafts = append(drafts, dr)
	}
	p.Tasks = link(p, drafts, &probs)
	attachRules(readRuleFiles(fsys, &probs), p.Tasks, &probs)
	return p, probs.sorted()
}

// findTaskFiles lists the task files under the task folders, sorted.
func findTaskFiles(fsys fs.FS, pf *projectFile, dirs []string, probs *problems) []string {
	var files []string
	for _, dir := range dirs {
		info, err := fs.Stat(fsys, dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && pf.taskDirsAbsent:
			continue // a new project without tasks yet
		case err != nil:
			probs.add(ProjectFile, dirPos(pf, dir), "task_dirs: %s: no such folder", dir)
			continue
		case !info.IsDir():
			probs.add(ProjectFile, dirPos(pf, dir), "task_dirs: %s is not a folder", dir)
			continue
		}
		err = fs.WalkDir(fsys, dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				probs.add(p, pos{}, "cannot read: %v", err)
				return nil
			}
			hidden := strings.HasPrefix(e.Name(), ".") && p != dir
			switch {
			case hidden && e.IsDir():
				return fs.SkipDir
			case hidden || e.IsDir() || p == ProjectFile:
			case path.Ext(p) == ".yml":
				probs.add(p, pos{}, "task files written in YAML end in .yaml, not .yml")
			case slices.Contains(taskExts, path.Ext(p)):
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			probs.add(ProjectFile, dirPos(pf, dir), "task_dirs: %s: %v", dir, err)
		}
	}
	sort.Strings(files)
	return slices.Compact(files)
}

func dirPos(pf *projectFile, dir string) pos {
	for _, it := range pf.taskDirs {
		if path.Clean(strings.TrimPrefix(it.value, "./")) == dir {
			return it.at
		}
	}
	return pos{}
}

// link checks the tasks against each other and the project: unique names,
// engines, parameters and upstreams. It returns the specs sorted by name.
func link(p *Project, drafts []*draft, probs *problems) []meta.TaskSpec {
	byName := map[string]*draft{}
	var kept []*draft
	for _, dr := range drafts {
		name := dr.spec.Name
		if first, dup := byName[name]; dup {
			probs.add(dr.spec.Path, dr.set["name"], "duplicate task name %s: %s has it too", name, first.spec.Path)
			continue
		}
		byName[name] = dr
		kept = append(kept, dr)
	}
	for _, dr := range kept {
		if dr.broken {
			continue
		}
		applyDefaults(dr, p.Config.Defaults)
		checkEngine(dr, p, probs)
		checkTaskParams(dr, p.Config.Params, probs)
		for _, u := range dr.ups {
			if t := localUpstream(u.value, p.Name); t != "" && byName[t] == nil {
				probs.add(dr.spec.Path, u.at, "upstreams: unknown task %s", u.value)
			}
		}
	}
	names := sortedKeys(byName)
	for _, group := range cycles(names, func(n string) []string {
		if dr := byName[n]; dr != nil {
			return sameLocal(dr.spec.Upstreams, p.Name)
		}
		return nil
	}) {
		if len(group) > 1 { // a task naming itself is reported already
			first := byName[group[0]]
			probs.add(first.spec.Path, first.set["upstreams"], "upstreams: tasks %s depend on each other in a cycle", strings.Join(group, ", "))
		}
	}
	specs := make([]meta.TaskSpec, 0, len(names))
	for _, n := range names {
		specs = append(specs, byName[n].spec)
	}
	return specs
}

// applyDefaults fills the settings a task left out from the project
// defaults. A setting written in the task stays, even when it is zero.
func applyDefaults(dr *draft, def meta.TaskDefaults) {
	s := &dr.spec
	unset := func(key string) bool { _, ok := dr.set[key]; return !ok }
	if unset("retries") {
		s.Retries = def.Retries
	}
	if unset("retry_delay") {
		s.RetryDelay = def.RetryDelay
	}
	if unset("timeout") {
		s.Timeout = def.Timeout
	}
	if unset("pool") {
		s.Pool = def.Pool
	}
	if unset("owner") {
		s.Owner = def.Owner
	}
	if unset("tier") {
		s.Tier = def.Tier
	}
	if unset("memory_limit_mb") && (s.Type == meta.TaskShell || s.Type == meta.TaskPython) {
		s.MemoryLimitMB = def.MemoryLimitMB
	}
	if s.Schedule.Cron != "" && s.Schedule.Timezone == "" {
		s.Schedule.Timezone = def.Timezone
	}
}

// checkEngine checks a SQL task's engine, defaulting it to the project's.
func checkEngine(dr *draft, p *Project, probs *problems) {
	s := &dr.spec
	if !slices.Contains(sqlTypes, s.Type) {
		return
	}
	if s.Engine == "" {
		if p.DefaultEngine == "" {
			probs.add(s.Path, dr.anchor, "no engine for this SQL task: set engine, or default_engine in kiln.yaml")
		}
		s.Engine = p.DefaultEngine // a bad default is reported in kiln.yaml
		return
	}
	for _, e := range p.Engines {
		if e.Name == s.Engine {
			return
		}
	}
	probs.add(s.Path, dr.set["engine"], "unknown engine %q%s", s.Engine, engineList(p.Engines))
}
