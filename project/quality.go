package project

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/quality"
)

// RulesDir holds the project's rules files (*.yaml), each a list of
// quality rules naming their task.
const RulesDir = "rules"

// readQuality reads a task's quality: list.
func (dr *draft) readQuality(d *decoder, k, v ast.Node) {
	dr.mark(d, "quality", k, v)
	dr.spec.Quality = append(dr.spec.Quality, readRules(d, "quality", v, false)...)
}

// readRules decodes a list of rules and checks each on its own, reporting
// problems at the rule's place; inFile rules must name their task.
func readRules(d *decoder, what string, v ast.Node, inFile bool) []meta.QualityRule {
	v = d.unwrap(v)
	if v == nil || v.Type() == ast.NullType {
		return nil
	}
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		d.errorf(v, "%s: want a list of rules, not %s", what, kind(v))
		return nil
	}
	var out []meta.QualityRule
	for _, item := range seq.Values {
		var r meta.QualityRule
		if err := yaml.NodeToValue(item, &r, yaml.DisallowUnknownField()); err != nil {
			var ye yaml.Error
			if errors.As(err, &ye) && ye.GetToken() != nil {
				d.probs.add(d.file, d.where(ye.GetToken()), "%s: %s", what, ye.GetMessage())
			} else {
				d.errorf(item, "%s: %v", what, err)
			}
			continue
		}
		if err := quality.Validate(&r); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				d.errorf(item, "%s: rule %s: %s", what, quality.RuleName(&r), line)
			}
			continue
		}
		if inFile && r.Task == "" {
			d.errorf(item, "%s: rule %s names no task", what, quality.RuleName(&r))
			continue
		}
		out = append(out, r)
	}
	return out
}

// ruleFile is a rules file as read, with each rule's place.
type ruleFile struct {
	file  string
	rules []meta.QualityRule
	at    []pos
}

// readRuleFiles reads rules/*.yaml: a mapping with a rules: list.
func readRuleFiles(fsys fs.FS, probs *problems) []ruleFile {
	files, _ := fs.Glob(fsys, path.Join(RulesDir, "*.yaml"))
	sort.Strings(files)
	var out []ruleFile
	for _, file := range files {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			probs.add(file, pos{}, "cannot read the rules file: %v", err)
			continue
		}
		d := &decoder{file: file, lines: lineMap{first: 1}, probs: probs}
		rf := ruleFile{file: file}
		d.mapping(d.parse(string(src)), "the rules file", fields{
			"rules": func(k, v ast.Node) {
				rf.rules = readRules(d, "rules", v, true)
				rf.at = make([]pos, len(rf.rules))
				for i := range rf.rules {
					rf.at[i] = d.where(k.GetToken())
				}
			},
		})
		out = append(out, rf)
	}
	return out
}

// attachRules adds the rules of rules files to their tasks, reporting
// rules of unknown tasks and names used twice in one task.
func attachRules(files []ruleFile, specs []meta.TaskSpec, probs *problems) {
	index := map[string]int{}
	for i, s := range specs {
		index[s.Name] = i
	}
	for _, rf := range files {
		for i, r := range rf.rules {
			at, ok := index[r.Task]
			if !ok {
				probs.add(rf.file, rf.at[i], "rules: rule %s: unknown task %s", quality.RuleName(&r), r.Task)
				continue
			}
			r.Task = ""
			specs[at].Quality = append(specs[at].Quality, r)
		}
	}
	for _, s := range specs {
		if err := quality.ValidateAll(s.Quality); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				probs.add(s.Path, pos{}, "quality: %s", line)
			}
		}
	}
}

// readAlerts reads the alerts: section of kiln.yaml.
func readAlerts(d *decoder, v ast.Node) *meta.AlertConfig {
	v = d.unwrap(v)
	if v == nil || v.Type() == ast.NullType {
		return nil
	}
	var c meta.AlertConfig
	if err := yaml.NodeToValue(v, &c, yaml.DisallowUnknownField()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			d.probs.add(d.file, d.where(ye.GetToken()), "alerts: %s", ye.GetMessage())
		} else {
			d.errorf(v, "alerts: %v", err)
		}
		return nil
	}
	if err := alert.ValidateConfig(&c); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			d.errorf(v, "alerts: %s", line)
		}
		return nil
	}
	return &c
}
