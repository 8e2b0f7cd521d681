package project

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/meta"
)

// upstreams reads the upstreams list: each entry a task name, written
// "[project.]task[@previous]", or a mapping {task: x, period: same|previous,
// project: p}. Mappings are stored in the string form (meta.Upstream), so
// specs keep one representation and their hashes stay stable.
func (d *decoder) upstreams(key string, n ast.Node) []item {
	n = d.unwrap(n)
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return d.list(key, n)
	}
	var out []item
	for _, e := range seq.Values {
		if _, isMap := mapIter(d.unwrap(e)); !isMap {
			if s, ok := d.text(key, e); ok {
				out = append(out, item{value: s, at: d.where(e.GetToken())})
			}
			continue
		}
		u := meta.Upstream{Period: meta.PeriodSame}
		d.mapping(e, key+" entry", fields{
			"task":    func(_, v ast.Node) { u.Task, _ = d.text(key+".task", v) },
			"project": func(_, v ast.Node) { u.Project, _ = d.text(key+".project", v) },
			"period": func(_, v ast.Node) {
				p, _ := d.text(key+".period", v)
				u.Period = meta.Period(p)
				if u.Period != meta.PeriodSame && u.Period != meta.PeriodPrevious {
					d.errorf(v, "%s: period must be same or previous, not %q", key, p)
				}
			},
		})
		if u.Task == "" {
			d.errorf(e, "%s: an entry written as a mapping needs task: NAME", key)
			continue
		}
		out = append(out, item{value: u.String(), at: d.where(e.GetToken())})
	}
	return out
}

// localUpstream is the task an upstream names in the same project, or ""
// when it names another project's task (checked when planning, where every
// project is known).
func localUpstream(value, project string) string {
	u := meta.ParseUpstream(value)
	if u.Project != "" && u.Project != project {
		return ""
	}
	return u.Task
}

// sameLocal lists the same-period upstreams within the project, the edges
// a cycle can run along.
func sameLocal(ups []string, project string) []string {
	var out []string
	for _, s := range ups {
		if u := meta.ParseUpstream(s); u.Period == meta.PeriodSame {
			if t := localUpstream(s, project); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}
