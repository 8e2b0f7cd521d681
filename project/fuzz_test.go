package project

import (
	"sort"
	"strings"
	"testing"
)

func FuzzLoad(f *testing.F) {
	seeds := []string{
		baseTask,
		"/* kiln\ntype: sql_model\ntarget: s.b\nwrite_mode: merge\nunique_key: [id]\nschedule: {cron: '@daily', timezone: UTC}\n*/\nSELECT 1",
		"/* kiln\nupstreams: [a, b, b]\nparams: {x: '${y}', y: '${x}'}\n*/ SELECT '${x}'",
		"#!/bin/sh\n# kiln:\n#   schedule: \"0 1 * * *\"\n#   timeout: 10m\necho ${bizdate}\n",
		"type: shell\nscript: |\n  echo ${nope}\nretries: -1\n",
		"type: sql_script\nsql: &a x\nname: *a\n",
		"/* kiln\nschedule: 'TZ=x'\n*/",
		"/* kiln\nschedule: '@every'\n*/",
		"a: !!binary AAAA\n",
		"---\n---\n",
		"/* kiln */",
		"",
	}
	for _, s := range seeds {
		for _, ext := range []string{".sql", ".sh", ".yaml"} {
			f.Add(s, ext)
		}
	}
	f.Fuzz(func(t *testing.T, text, ext string) {
		switch ext {
		case ".sql", ".sh", ".py", ".yaml":
		default:
			ext = ".sql"
		}
		fsys := setup(t, map[string]string{"tasks/b" + ext: text})
		p, probs := Load(fsys)
		if p == nil {
			t.Fatal("Load returned no project")
		}
		if !sort.SliceIsSorted(probs, func(i, j int) bool {
			return probs[i].File < probs[j].File || probs[i].File == probs[j].File && probs[i].Line < probs[j].Line
		}) {
			t.Fatalf("problems not sorted: %v", probs)
		}
		for _, pr := range probs {
			if pr.File == "" || pr.Message == "" || pr.Line < 0 || pr.Col < 0 {
				t.Fatalf("bad problem %+v", pr)
			}
			if pr.File != "tasks/b"+ext && !strings.HasPrefix(pr.File, "tasks/a.sql") {
				t.Fatalf("problem in an unchanged file: %v", pr)
			}
		}
		for _, s := range p.Tasks {
			_ = SpecHash(s)
		}
	})
}

func FuzzLoadProject(f *testing.F) {
	f.Add(baseProject)
	f.Add(strings.Replace(baseProject, "kind: duckdb", "kind: mysql\n    dsn: 'u:s3cret@tcp(h)/d'", 1))
	f.Add("name: x\ntask_dirs: [., ../y, /abs]\nparams: {a: '${b}', b: '${a}'}\n")
	f.Add("name: [\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, probs := Load(setup(t, map[string]string{"kiln.yaml": text}))
		if p == nil {
			t.Fatal("Load returned no project")
		}
		for _, pr := range probs {
			if pr.File == "" || pr.Message == "" || strings.Contains(pr.Message, "s3cret") {
				t.Fatalf("bad problem %+v", pr)
			}
		}
	})
}
