package lineage

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// UpstreamAdvice compares one task's declared upstreams with the ones its
// lineage implies: the tasks of the project that write the tables it reads.
type UpstreamAdvice struct {
	Task string `json:"task"`
	Path string `json:"path"`
	// Missing are implied upstreams the task does not declare.
	Missing []ImpliedUpstream `json:"missing,omitempty"`
	// Unneeded are declared SQL-task upstreams that write nothing the task
	// reads. Upstreams that are not SQL tasks (shell, sync...) are never
	// called unneeded: lineage cannot see what they produce.
	Unneeded []string `json:"unneeded,omitempty"`
	// Added are the implied upstreams added to a task with auto_upstreams.
	Added []string `json:"added,omitempty"`
}

// ImpliedUpstream is a task writing tables another task reads.
type ImpliedUpstream struct {
	Task   string   `json:"task"`
	Tables []string `json:"tables"`
}

// AdviseUpstreams computes the lineage of every SQL task of a project
// (offline: the parsers need no server) and returns the advice for each
// task whose upstreams differ from its lineage's, by task name. With fix,
// the implied upstreams of each task that sets auto_upstreams are added to
// p.Tasks (except one that would close a cycle) and listed in Added.
func AdviseUpstreams(p *project.Project, fix bool) []UpstreamAdvice {
	mp := &meta.Project{Name: p.Name, DefaultEngine: p.DefaultEngine, Config: p.Config}
	kinds := map[string]string{}
	for _, e := range p.Engines {
		kinds[e.Name] = e.Kind
	}
	results := map[string]*Result{}
	writers := map[string][]string{} // table -> tasks writing it
	for i := range p.Tasks {
		spec := &p.Tasks[i]
		if spec.Type != meta.TaskSQLModel && spec.Type != meta.TaskSQLScript {
			continue
		}
		dialect := kinds[cmp.Or(spec.Engine, p.DefaultEngine)]
		if dialect != "postgres" && dialect != "mysql" {
			dialect = "duckdb"
		}
		res, err := ForSpec(spec, dialect, mp)
		if err != nil {
			continue // a task whose SQL does not parse gets no advice
		}
		results[spec.Name] = res
		for _, t := range res.Targets {
			writers[t] = append(writers[t], spec.Name)
		}
	}
	var out []UpstreamAdvice
	for i := range p.Tasks {
		spec := &p.Tasks[i]
		res, ok := results[spec.Name]
		if !ok {
			continue
		}
		implied := map[string][]string{}
		for _, src := range res.Sources {
			for table, ws := range writers {
				if !sameName(src, table) {
					continue
				}
				for _, w := range ws {
					if w != spec.Name {
						implied[w] = append(implied[w], src)
					}
				}
			}
		}
		adv := UpstreamAdvice{Task: spec.Name, Path: spec.Path}
		for _, w := range slices.Sorted(maps.Keys(implied)) {
			if !slices.Contains(spec.Upstreams, w) {
				adv.Missing = append(adv.Missing, ImpliedUpstream{Task: w, Tables: implied[w]})
			}
		}
		for _, u := range spec.Upstreams {
			if _, sql := results[u]; sql && implied[u] == nil {
				adv.Unneeded = append(adv.Unneeded, u)
			}
		}
		if fix && spec.AutoUpstreams {
			for _, m := range adv.Missing {
				if !dependsOn(p.Tasks, m.Task, spec.Name) {
					spec.Upstreams = append(spec.Upstreams, m.Task)
					adv.Added = append(adv.Added, m.Task)
				}
			}
		}
		if len(adv.Missing) > 0 || len(adv.Unneeded) > 0 {
			out = append(out, adv)
		}
	}
	return out
}

// sameName reports whether two lineage table names name the same table: equal,
// or equal once the schema of the qualified one is dropped.
func sameName(a, b string) bool {
	if a == b {
		return true
	}
	_, ba, qa := strings.Cut(a, ".")
	_, bb, qb := strings.Cut(b, ".")
	switch {
	case qa && !qb:
		return ba == b
	case qb && !qa:
		return bb == a
	}
	return false
}

// dependsOn reports whether task from reaches task to through upstreams.
func dependsOn(tasks []meta.TaskSpec, from, to string) bool {
	ups := map[string][]string{}
	for _, t := range tasks {
		ups[t.Name] = t.Upstreams
	}
	seen := map[string]bool{}
	stack := []string{from}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, ups[n]...)
	}
	return false
}
