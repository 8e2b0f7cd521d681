package project

import (
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/params"
)

var paramNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkParamNames reports parameter names that could never be referenced
// or that would hide a built-in.
func checkParamNames(d *decoder, what string, n ast.Node) {
	it, ok := mapIter(d.unwrap(n))
	if !ok {
		return
	}
	for it.Next() {
		name := keyName(it.Key())
		switch {
		case !paramNameRe.MatchString(name):
			d.errorf(it.Key(), "%s: parameter name %q: want lower-case letters, digits and _, starting with a letter", what, name)
		case params.IsBuiltin(name):
			d.errorf(it.Key(), "%s: %s is a built-in parameter and cannot be set", what, name)
		}
	}
}

// checkText reports the unknown parameters and bad references of a text
// whose line 1, column 1 is at start in file.
func checkText(probs *problems, file, prefix, text string, at func(line, col int) pos, known func(string) bool) {
	for _, is := range params.Check(text, known) {
		probs.add(file, at(is.Line, is.Col), "%s%s", prefix, is.Message)
	}
}

// checkProjectParams checks the values of the project parameters: they may
// use built-ins and each other.
func checkProjectParams(pf *projectFile, probs *problems) {
	values := pf.p.Config.Params
	known := func(n string) bool { _, ok := values[n]; return ok }
	for _, name := range sortedKeys(values) {
		start := pf.paramAt[name]
		checkText(probs, ProjectFile, "params."+name+": ", values[name],
			func(l, c int) pos { return inText(start, l, c) }, known)
	}
	for _, group := range paramCycles(values) {
		probs.add(ProjectFile, pf.paramAt[group[0]], "%s", cycleMessage(group))
	}
}

// checkTaskParams checks every text of a task that is rendered at run time
// against the task's and the project's parameters.
func checkTaskParams(dr *draft, project map[string]string, probs *problems) {
	s, file := &dr.spec, dr.spec.Path
	known := func(n string) bool {
		_, own := s.Params[n]
		_, shared := project[n]
		return own || shared
	}
	if dr.bodyAt != nil {
		checkText(probs, file, "", dr.body, dr.bodyAt, known)
	}
	for _, f := range []struct{ key, text string }{{"target", s.Target}, {"partition_value", s.PartitionValue}} {
		if at, ok := dr.set[f.key]; ok {
			checkText(probs, file, f.key+": ", f.text, func(l, c int) pos { return inText(at, l, c) }, known)
		}
	}
	// A script's header is part of its body, checked above.
	if dr.ext != ".sh" && dr.ext != ".py" {
		for _, name := range sortedKeys(s.Params) {
			at := dr.params[name]
			checkText(probs, file, "params."+name+": ", s.Params[name],
				func(l, c int) pos { return inText(at, l, c) }, known)
		}
	}
	if len(s.Params) == 0 {
		return
	}
	merged := map[string]string{}
	for k, v := range project {
		merged[k] = v
	}
	for k, v := range s.Params {
		merged[k] = v
	}
	for _, group := range paramCycles(merged) {
		for _, name := range group {
			if _, own := s.Params[name]; own {
				probs.add(file, dr.params[name], "%s", cycleMessage(group))
				break
			}
		}
	}
}

// paramCycles returns the groups of parameters whose values refer to each
// other in a cycle, each group sorted, groups in order of their first name.
func paramCycles(values map[string]string) [][]string {
	return cycles(sortedKeys(values), func(name string) []string {
		var out []string
		for _, ref := range params.Names(values[name]) {
			if _, ok := values[ref]; ok {
				out = append(out, ref)
			}
		}
		return out
	})
}

func cycleMessage(group []string) string {
	if len(group) == 1 {
		return "params." + group[0] + ": the value refers to itself"
	}
	return "params " + strings.Join(group, ", ") + " refer to each other in a cycle"
}

// cycles returns the strongly connected groups of a graph that hold a
// cycle: two or more nodes, or one node with an edge to itself.
func cycles(nodes []string, edges func(string) []string) [][]string {
	reach := map[string]map[string]bool{}
	for _, n := range nodes {
		seen := map[string]bool{}
		stack := append([]string(nil), edges(n)...)
		for len(stack) > 0 {
			m := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[m] {
				continue
			}
			seen[m] = true
			stack = append(stack, edges(m)...)
		}
		reach[n] = seen
	}
	var groups [][]string
	grouped := map[string]bool{}
	for _, n := range nodes {
		if grouped[n] || !reach[n][n] {
			continue
		}
		group := []string{n}
		for _, m := range nodes {
			if m != n && reach[n][m] && reach[m][n] {
				group = append(group, m)
				grouped[m] = true
			}
		}
		sort.Strings(group)
		groups = append(groups, group)
	}
	return groups
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
