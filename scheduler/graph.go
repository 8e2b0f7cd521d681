package scheduler

import (
	"context"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// node is a task as the planner sees it: its current version, schedule
// and resolved upstreams.
type node struct {
	task    *meta.Task
	project *meta.Project
	version *meta.Version
	sched   *Schedule // nil: the task has no schedule and is never planned
	ups     []edge
	downs   []*node
}

type edge struct {
	up     *node
	period meta.Period
}

// Graph is every project's tasks with their dependencies.
type Graph struct {
	nodes  []*node
	byName map[string]*node // "project.task"
	byID   map[int64]*node
	// Missing lists upstreams that name no task, as "project.task -> up".
	Missing []string
}

func key(project, task string) string { return project + "." + task }

// LoadGraph reads the current version of every task of every project (or
// of one project, when only is not 0, plus the projects its tasks name).
func LoadGraph(ctx context.Context, store meta.Store) (*Graph, error) {
	projects, err := store.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	g := &Graph{byName: map[string]*node{}, byID: map[int64]*node{}}
	batch, _ := store.(meta.PlanBatchStore)
	for _, p := range projects {
		tasks, err := store.ListTasks(ctx, &meta.ListTasksParams{ProjectID: p.ID})
		if err != nil {
			return nil, err
		}
		var current map[int64]*meta.Version // one query instead of one per task
		if batch != nil {
			if current, err = batch.CurrentVersions(ctx, p.ID); err != nil {
				return nil, err
			}
		}
		for _, t := range tasks {
			if t.Removed {
				continue
			}
			v := current[t.ID]
			if v == nil || v.Version != t.CurrentVersion { // saved since the list: read it alone
				if v, err = store.GetVersion(ctx, t.ID, t.CurrentVersion); err != nil {
					return nil, fmt.Errorf("task %s.%s: %w", p.Name, t.Name, err)
				}
			}
			n := &node{task: t, project: p, version: v}
			if v.Spec.Schedule.Cron != "" {
				if n.sched, err = ParseSchedule(v.Spec.Schedule, p.Config.Defaults.Timezone); err != nil {
					return nil, fmt.Errorf("task %s.%s: %w", p.Name, t.Name, err)
				}
			}
			g.nodes = append(g.nodes, n)
			g.byName[key(p.Name, t.Name)] = n
			g.byID[t.ID] = n
		}
	}
	for _, n := range g.nodes {
		for _, s := range n.version.Spec.Upstreams {
			u := meta.ParseUpstream(s)
			proj := u.Project
			if proj == "" {
				proj = n.project.Name
			}
			up := g.byName[key(proj, u.Task)]
			if up == nil {
				g.Missing = append(g.Missing, key(n.project.Name, n.task.Name)+" -> "+s)
				continue
			}
			n.ups = append(n.ups, edge{up: up, period: u.Period})
			up.downs = append(up.downs, n)
		}
		if n.version.Spec.DependsOnPast {
			n.ups = append(n.ups, edge{up: n, period: meta.PeriodPrevious})
		}
	}
	return g, nil
}

// Task returns a task's node by project and name.
func (g *Graph) task(project, name string) *node { return g.byName[key(project, name)] }

// Downstream returns the tasks that depend on the named one, directly or
// (depth > 1, or depth 0 for all) transitively, each once, nearest first.
func (g *Graph) Downstream(project, name string, depth int) []TaskRef {
	return g.walk(project, name, depth, func(n *node) []*node { return n.downs })
}

// Upstream returns the tasks the named one depends on, like Downstream.
func (g *Graph) Upstream(project, name string, depth int) []TaskRef {
	return g.walk(project, name, depth, func(n *node) []*node {
		var out []*node
		for _, e := range n.ups {
			if e.up != n {
				out = append(out, e.up)
			}
		}
		return out
	})
}

// TaskRef names a task in a dependency listing.
type TaskRef struct {
	Project string          `json:"project"`
	Task    string          `json:"task"`
	Depth   int             `json:"depth"`
	Status  meta.TaskStatus `json:"status"`
	Cron    string          `json:"cron,omitempty"`
}

func (g *Graph) walk(project, name string, depth int, next func(*node) []*node) []TaskRef {
	start := g.task(project, name)
	if start == nil {
		return nil
	}
	seen := map[*node]bool{start: true}
	var out []TaskRef
	level := []*node{start}
	for d := 1; len(level) > 0 && (depth <= 0 || d <= depth); d++ {
		var nextLevel []*node
		for _, n := range level {
			for _, m := range next(n) {
				if seen[m] {
					continue
				}
				seen[m] = true
				nextLevel = append(nextLevel, m)
				out = append(out, TaskRef{Project: m.project.Name, Task: m.task.Name, Depth: d, Status: m.task.Status,
					Cron: m.version.Spec.Schedule.Cron})
			}
		}
		level = nextLevel
	}
	return out
}

// Cycle returns a dependency cycle of same-period edges, as task names
// joined by " -> ", or "" when there is none. Cross-project cycles count.
func (g *Graph) Cycle() string {
	const (
		white = iota
		grey
		black
	)
	color := map[*node]int{}
	var stack []*node
	var found []*node
	var visit func(n *node) bool
	visit = func(n *node) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, e := range n.ups {
			if e.period != meta.PeriodSame {
				continue
			}
			switch color[e.up] {
			case grey:
				for i, m := range stack {
					if m == e.up {
						found = append(append([]*node{}, stack[i:]...), e.up)
					}
				}
				return true
			case white:
				if visit(e.up) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range g.nodes {
		if color[n] == white && visit(n) {
			names := make([]string, len(found))
			for i, m := range found {
				names[i] = key(m.project.Name, m.task.Name)
			}
			return strings.Join(names, " -> ")
		}
	}
	return ""
}
