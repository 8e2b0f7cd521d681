package project

import (
	"strings"
	"testing"
	"testing/fstest"
)

const baseProject = `name: demo
default_engine: wh
engines:
  wh:
    kind: duckdb
params:
  src: ${data_dir}/src
defaults:
  retries: 1
  timezone: UTC
`

const baseTask = `/* kiln
target: s.a
*/
SELECT 1
`

// setup returns a project folder: a good kiln.yaml and tasks/a.sql, with
// files replaced or added; "-" removes a file.
func setup(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{
		"kiln.yaml":   {Data: []byte(baseProject)},
		"tasks/a.sql": {Data: []byte(baseTask)},
	}
	for name, text := range files {
		if text == "-" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestLoad_Problems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"good", nil, nil},
		{"no project file", map[string]string{"kiln.yaml": "-"},
			[]string{"kiln.yaml: no kiln.yaml here: run kiln init to start a project"}},

		// kiln.yaml
		{"bad YAML in kiln.yaml", map[string]string{"kiln.yaml": "name: demo\nengines: [\n"},
			[]string{"kiln.yaml:2:10: bad YAML: sequence end token ']' not found"}},
		{"duplicate key", map[string]string{"kiln.yaml": baseProject + "name: again\n"},
			[]string{`kiln.yaml:11:1: bad YAML: mapping key "name" already defined at [1:1]`}},
		{"kiln.yaml not a mapping", map[string]string{"kiln.yaml": "- a\n"},
			[]string{"kiln.yaml:1:1: want settings as key: value lines, not a list"}},
		{"unknown key in kiln.yaml", map[string]string{"kiln.yaml": baseProject + "defautls: {}\n"},
			[]string{`kiln.yaml:11:1: unknown key "defautls" in kiln.yaml (did you mean defaults?)`}},
		{"unknown key in an engine", map[string]string{"kiln.yaml": strings.Replace(baseProject, "kind: duckdb", "kind: duckdb\n    pth: x", 1)},
			[]string{`kiln.yaml:6:5: unknown key "pth" in engines.wh (did you mean path?)`}},
		{"unknown key in defaults", map[string]string{"kiln.yaml": baseProject + "  retires: 2\n"},
			[]string{`kiln.yaml:11:3: unknown key "retires" in defaults (did you mean retries?)`}},
		{"missing project name", map[string]string{"kiln.yaml": strings.Replace(baseProject, "name: demo\n", "", 1)},
			[]string{"kiln.yaml:1: name is required: the project name, like edu"}},
		{"invalid project name", map[string]string{"kiln.yaml": strings.Replace(baseProject, "name: demo", "name: Demo Project", 1)},
			[]string{`kiln.yaml:1:7: name "Demo Project": want lower-case letters, digits, _ and -, starting with a letter`}},
		{"engine kind", map[string]string{"kiln.yaml": strings.Replace(baseProject, "kind: duckdb", "kind: oracle", 1)},
			[]string{`kiln.yaml:5:11: engines.wh.kind: unknown kind "oracle": want one of duckdb, postgres, mysql`}},
		{"default engine unknown", map[string]string{"kiln.yaml": strings.Replace(baseProject, "default_engine: wh", "default_engine: dw", 1)},
			[]string{`kiln.yaml:2:17: default_engine: unknown engine "dw" (engines: wh)`}},
		{"no default engine for a SQL task", map[string]string{"kiln.yaml": strings.Replace(baseProject, "default_engine: wh\n", "", 1)},
			[]string{"tasks/a.sql:1:1: no engine for this SQL task: set engine, or default_engine in kiln.yaml"}},
		{"unknown default time zone", map[string]string{"kiln.yaml": strings.Replace(baseProject, "timezone: UTC", "timezone: Mars/Base", 1)},
			[]string{`kiln.yaml:10:13: defaults.timezone: unknown time zone "Mars/Base": want an IANA name like Asia/Shanghai or UTC`}},
		{"negative default retries", map[string]string{"kiln.yaml": strings.Replace(baseProject, "retries: 1", "retries: -1", 1)},
			[]string{"kiln.yaml:9:12: defaults.retries: must not be negative"}},
		{"unknown parameter in a project parameter", map[string]string{"kiln.yaml": strings.Replace(baseProject, "${data_dir}/src", "${data_dir}/${env}/src", 1)},
			[]string{"kiln.yaml:7:20: params.src: unknown parameter ${env}"}},
		{"project parameter cycle", map[string]string{"kiln.yaml": strings.Replace(baseProject, "${data_dir}/src", "${b}\n  b: ${src}", 1)},
			[]string{"kiln.yaml:8:6: params b, src refer to each other in a cycle"}},
		{"parameter hides a built-in", map[string]string{"kiln.yaml": strings.Replace(baseProject, "src: ", "bizdate: ", 1)},
			[]string{"kiln.yaml:7:3: params: bizdate is a built-in parameter and cannot be set"}},
		{"missing task folder", map[string]string{"kiln.yaml": baseProject + "task_dirs: [tasks, jobs]\n"},
			[]string{"kiln.yaml:11:20: task_dirs: jobs: no such folder"}},
		{"task folder outside", map[string]string{"kiln.yaml": baseProject + "task_dirs: [../x]\n"},
			[]string{`kiln.yaml:11:13: task_dirs: "../x" must be a folder inside the project`}},

		// engines and DSNs
		{"engine without kind", engines("  pg: {dsn: 'postgres://u@h/db'}"),
			[]string{"kiln.yaml:6:3: engines.pg: kind is required: one of duckdb, postgres, mysql"}},
		{"postgres without DSN", engines("  pg: {kind: postgres}"),
			[]string{"kiln.yaml:6:3: engines.pg: dsn is required for a postgres engine"}},
		{"duckdb with DSN", engines("  dd: {kind: duckdb, dsn: x}"),
			[]string{"kiln.yaml:6:27: engines.dd.dsn: a duckdb engine takes a path, not a dsn"}},
		{"bad engine name", engines("  PG: {kind: postgres, dsn: 'postgres://u@h/db'}"),
			[]string{`kiln.yaml:6:3: engine name "PG": want lower-case letters, digits, _ and -, starting with a letter`}},
		{"password in a URL DSN", engines("  pg: {kind: postgres, dsn: 'postgres://kiln:s3cret@h:5432/crm'}"),
			[]string{"kiln.yaml:6:29: engines.pg.dsn: the DSN carries a password; remove it and name an environment variable in password_env"}},
		{"password in a MySQL DSN", engines("  my: {kind: mysql, dsn: 'kiln:s3cret@tcp(h:3306)/crm'}"),
			[]string{"kiln.yaml:6:26: engines.my.dsn: the DSN carries a password; remove it and name an environment variable in password_env"}},
		{"password setting in a DSN", engines("  pg: {kind: postgres, dsn: 'host=h user=kiln password=s3cret'}"),
			[]string{"kiln.yaml:6:29: engines.pg.dsn: the DSN carries a password; remove it and name an environment variable in password_env"}},
		{"DSNs without a password", engines("  pg: {kind: postgres, dsn: 'postgres://kiln@h:5432/crm', password_env: PG_PW}\n  my: {kind: mysql, dsn: 'kiln@tcp(h:3306)/crm?parseTime=true'}"),
			nil},
		{"bad password_env", engines("  pg: {kind: postgres, dsn: 'postgres://kiln@h/crm', password_env: 'my pw'}"),
			[]string{`kiln.yaml:6:68: engines.pg.password_env: "my pw" is not an environment variable name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, probs := Load(setup(t, tt.files))
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// engines adds engines to the base project.
func engines(lines string) map[string]string {
	return map[string]string{"kiln.yaml": strings.Replace(baseProject, "    kind: duckdb\n", "    kind: duckdb\n"+lines+"\n", 1)}
}

func TestLoad_TaskProblems(t *testing.T) {
	t.Parallel()
	sql := func(header, body string) string { return "/* kiln\n" + header + "\n*/\n" + body + "\n" }
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		// YAML and keys
		{"bad YAML in a header", map[string]string{"tasks/b.sql": sql("target: [x", "SELECT 1")},
			[]string{"tasks/b.sql:2:9: bad YAML: sequence end token ']' not found"}},
		{"unknown key in a SQL header", map[string]string{"tasks/b.sql": sql("target: s.b\ntagz: [x]", "SELECT 1")},
			[]string{`tasks/b.sql:3:1: unknown key "tagz" in the task settings (did you mean tags?)`}},
		{"unknown key in a shell header", map[string]string{"tasks/b.sh": "#!/bin/sh\n# kiln:\n#   retrys: 2\necho hi\n"},
			[]string{`tasks/b.sh:3:5: unknown key "retrys" in the task settings (did you mean retries?)`}},
		{"unknown key in a schedule", map[string]string{"tasks/b.py": "# kiln:\n# schedule: {cron: '0 1 * * *', tz: UTC}\n"},
			[]string{`tasks/b.py:2:33: unknown key "tz" in schedule`}},
		{"unknown key in a YAML task", map[string]string{"tasks/b.yaml": "type: shell\nscript: echo\nowners: x\n"},
			[]string{`tasks/b.yaml:3:1: unknown key "owners" in the task (did you mean owner?)`}},
		{"sql key in a header", map[string]string{"tasks/b.sql": sql("sql: SELECT 2", "SELECT 1")},
			[]string{`tasks/b.sql:2:1: unknown key "sql" in the task settings`}},
		{"unclosed header", map[string]string{"tasks/b.sql": "/* kiln\ntarget: s.b\nSELECT 1\n"},
			[]string{"tasks/b.sql:1:1: the /* kiln header is not closed with */"}},
		{"SQL header not first", map[string]string{"tasks/b.sql": "-- orders\nSELECT 1\n  /* kiln\ntarget: s.b\n*/\n"},
			[]string{"tasks/b.sql:3: the /* kiln header must come first in the file"}},
		{"script header after code", map[string]string{"tasks/b.py": "import os\n# kiln:\n# timeout: 1m\n"},
			[]string{"tasks/b.py:2: the # kiln: header must come before the code, after the shebang"}},
		{"headers after leading comments", map[string]string{
			"tasks/b.py":  "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n\n# kiln:\n# timeout: 1m\nimport os\n",
			"tasks/c.sql": "\n\n/*kiln\ntarget: s.c\n*/\nSELECT 1\n",
		}, nil},
		{"settings on the /* kiln line", map[string]string{"tasks/b.sql": "/* kiln target: s.b\nretries: 1\n*/\nSELECT 1\n"},
			[]string{"tasks/b.sql:1:1: write the settings on the lines after /* kiln, not on its line"}},
		{"settings on the kiln line", map[string]string{"tasks/b.sh": "# kiln: {retries: 1}\necho\n"},
			[]string{"tasks/b.sh:1: write the settings on the lines after # kiln:, each starting with #"}},
		{"wrong value kind", map[string]string{"tasks/b.sql": sql("target: s.b\nretries: two\nupstreams: a\ntimeout: 10", "SELECT 1")},
			[]string{
				`tasks/b.sql:3:10: retries: want a whole number, not "two"`,
				"tasks/b.sql:4:12: upstreams: want a list like [a, b], not a single value",
				`tasks/b.sql:5:10: timeout: want a duration like 90s, 5m or 1h30m, not "10"`,
			}},
		{".yml file", map[string]string{"tasks/b.yml": "type: shell\n"},
			[]string{"tasks/b.yml: task files written in YAML end in .yaml, not .yml"}},

		// names
		{"duplicate task names", map[string]string{"tasks/b.sql": sql("target: s.b", "SELECT 1"), "tasks/z/b.sh": "echo\n"},
			[]string{"tasks/z/b.sh: duplicate task name b: tasks/b.sql has it too"}},
		{"duplicate name from a header", map[string]string{"tasks/c.sql": sql("name: a", "SELECT 1")},
			[]string{"tasks/c.sql:2:7: duplicate task name a: tasks/a.sql has it too"}},
		{"invalid name from the file name", map[string]string{"tasks/Bad-Name.sh": "echo\n"},
			[]string{`tasks/Bad-Name.sh: task name "Bad-Name" (from the file name): want lower-case letters, digits and _, starting with a letter`}},
		{"invalid name in a header", map[string]string{"tasks/b.sh": "# kiln:\n# name: 9lives\necho\n"},
			[]string{`tasks/b.sh:2:9: task name "9lives": want lower-case letters, digits and _, starting with a letter`}},

		// types
		{"unknown type", map[string]string{"tasks/b.yaml": "type: spark\nscript: x\n"},
			[]string{`tasks/b.yaml:1:7: type: unknown type "spark": want sql_model, sql_script, shell or python`}},
		{"YAML task without type", map[string]string{"tasks/b.yaml": "script: echo\n"},
			[]string{"tasks/b.yaml:1: type is required in a YAML task: sql_model, sql_script, shell or python"}},
		{"type that does not fit the file", map[string]string{"tasks/b.sql": sql("type: shell", "echo")},
			[]string{"tasks/b.sql:2:7: type: a .sql file cannot hold a shell task"}},
		{"YAML SQL task without sql", map[string]string{"tasks/b.yaml": "type: sql_script\n"},
			[]string{"tasks/b.yaml:1:7: sql is required in a YAML sql_script task"}},
		{"YAML shell task with sql", map[string]string{"tasks/b.yaml": "type: shell\nscript: echo\nsql: SELECT 1\n"},
			[]string{"tasks/b.yaml:3:1: sql: a shell task holds script, not sql"}},
		{"engine on a shell task", map[string]string{"tasks/b.sh": "# kiln:\n#  engine: wh\n"},
			[]string{"tasks/b.sh:2:4: engine: only SQL tasks run on an engine"}},
		{"pool name", map[string]string{"tasks/b.sql": sql("pool: a b", "SELECT 1")},
			[]string{`tasks/b.sql:2:7: pool: pool name "a b": want 1-64 letters, digits, '_', '.' or '-'`}},
		{"memory limit on a SQL task", map[string]string{"tasks/b.sql": sql("memory_limit_mb: 100", "SELECT 1")},
			[]string{"tasks/b.sql:2:1: memory_limit_mb: only shell and python tasks have a memory limit"}},

		// models
		{"model without target", map[string]string{"tasks/b.sql": sql("type: sql_model", "SELECT 1")},
			[]string{"tasks/b.sql:2:7: a sql_model needs a target: the [schema.]table it writes"}},
		{"bad target", map[string]string{"tasks/b.sql": sql("target: a.b.c", "SELECT 1")},
			[]string{`tasks/b.sql:2:9: target "a.b.c": want [schema.]table, letters, digits and _`}},
		{"target named per period", map[string]string{"tasks/b.sql": sql("target: s.b_${bizdate_nodash}", "SELECT 1")}, nil},
		{"unknown parameter in a target", map[string]string{"tasks/b.sql": sql("target: s.b_${day}", "SELECT 1")},
			[]string{"tasks/b.sql:2:13: target: unknown parameter ${day}"}},
		{"overwrite_partition without partition_column", map[string]string{"tasks/b.sql": sql("target: s.b\nwrite_mode: overwrite_partition", "SELECT 1")},
			[]string{"tasks/b.sql:3:13: write_mode overwrite_partition needs a partition_column"}},
		{"merge without unique_key", map[string]string{"tasks/b.sql": sql("target: s.b\nwrite_mode: merge", "SELECT 1")},
			[]string{"tasks/b.sql:3:13: write_mode merge needs a unique_key: the columns a row is matched on"}},
		{"bad write mode", map[string]string{"tasks/b.sql": sql("target: s.b\nwrite_mode: upsert", "SELECT 1")},
			[]string{`tasks/b.sql:3:13: write_mode: unknown mode "upsert": want overwrite, overwrite_partition, append or merge`}},
		{"partition column on an overwrite model", map[string]string{"tasks/b.sql": sql("target: s.b\npartition_column: dt", "SELECT 1")},
			[]string{"tasks/b.sql:3:1: partition_column: only overwrite_partition models have one"}},
		{"target on a script", map[string]string{"tasks/b.sql": sql("type: sql_script\ntarget: s.b", "SELECT 1")},
			[]string{"tasks/b.sql:3:1: target: only sql_model tasks write a target"}},
		{"model body not a query", map[string]string{"tasks/b.sql": sql("target: s.b", "-- load\n/* all */ INSERT INTO s.b SELECT 1")},
			[]string{`tasks/b.sql:5:11: a sql_model is one query starting with SELECT, WITH or (, not "INSERT"; use type sql_script for other statements`}},
		{"model body empty", map[string]string{"tasks/b.sql": sql("target: s.b", "-- nothing yet")},
			[]string{"tasks/b.sql:1:1: the SQL after the header is empty"}},
		{"model queries that are fine", map[string]string{
			"tasks/b.sql": sql("target: s.b", "with x as (select 1) select * from x"),
			"tasks/c.sql": sql("target: s.c", "\n\n(SELECT 1) UNION (SELECT 2)"),
			"tasks/d.sql": "/* kiln\ntarget: s.d */ select 1",
		}, nil},
		{"empty SQL file", map[string]string{"tasks/b.sql": "\n"},
			[]string{"tasks/b.sql:2:1: the SQL is empty"}},

		// numbers
		{"negative retries", map[string]string{"tasks/b.sql": sql("retries: -1", "SELECT 1")},
			[]string{"tasks/b.sql:2:10: retries: must not be negative"}},
		{"negative timeout", map[string]string{"tasks/b.sh": "# kiln:\n# timeout: -5m\n"},
			[]string{"tasks/b.sh:2:12: timeout: must not be negative"}},
		{"bad tier", map[string]string{"tasks/b.sh": "# kiln:\n# tier: gold\n"},
			[]string{`tasks/b.sh:2:9: tier: unknown tier "gold": want core or normal`}},

		// schedules
		{"bad cron", map[string]string{"tasks/b.sql": sql(`schedule: "61 * * * *"`, "SELECT 1")},
			[]string{`tasks/b.sql:2:12: schedule: bad cron "61 * * * *": end of range (61) above maximum (59): 61 (want 5 fields: minute hour day-of-month month day-of-week, or @daily, @hourly…)`}},
		{"never-firing cron", map[string]string{"tasks/b.sql": sql(`schedule: "0 0 30 2 *"`, "SELECT 1")},
			[]string{`tasks/b.sql:2:12: schedule: cron "0 0 30 2 *" never fires: no date matches its day of month and month`}},
		{"six-field cron", map[string]string{"tasks/b.sql": sql(`schedule: {cron: "0 0 1 * * *"}`, "SELECT 1")},
			[]string{`tasks/b.sql:2:19: schedule: bad cron "0 0 1 * * *": expected exactly 5 fields, found 6: [0 0 1 * * *] (want 5 fields: minute hour day-of-month month day-of-week, or @daily, @hourly…)`}},
		{"@every", map[string]string{"tasks/b.sh": "# kiln:\n# schedule: '@every 1h'\n"},
			[]string{`tasks/b.sh:2:14: schedule: @every is not supported: write a 5-field cron like "*/30 * * * *"`}},
		{"TZ in cron", map[string]string{"tasks/b.sh": "# kiln:\n# schedule: 'TZ=UTC'\n"},
			[]string{"tasks/b.sh:2:14: schedule: put the time zone in schedule.timezone, not in the cron"}},
		{"descriptors", map[string]string{
			"tasks/b.sh": "# kiln:\n# schedule: '@hourly'\n",
			"tasks/c.sh": "# kiln:\n# schedule: '@monthly'\n",
		}, nil},
		{"unknown time zone", map[string]string{"tasks/b.sql": sql("schedule:\n  cron: 0 1 * * *\n  timezone: Asia/Pyongyang2", "SELECT 1")},
			[]string{`tasks/b.sql:4:13: schedule.timezone: unknown time zone "Asia/Pyongyang2": want an IANA name like Asia/Shanghai or UTC`}},
		{"time zone without cron", map[string]string{"tasks/b.sql": sql("schedule: {timezone: UTC}", "SELECT 1")},
			[]string{"tasks/b.sql:2:22: schedule.timezone: a time zone needs a cron"}},

		// engines
		{"unknown engine", map[string]string{"tasks/b.sql": sql("engine: crm", "SELECT 1")},
			[]string{`tasks/b.sql:2:9: unknown engine "crm" (engines: wh)`}},

		// parameters
		{"unknown parameter in SQL", map[string]string{"tasks/b.sql": sql("target: s.b", "SELECT *\nFROM t WHERE dt = '${bizdat}'")},
			[]string{"tasks/b.sql:5:20: unknown parameter ${bizdat}"}},
		{"unknown parameter after the header on its line", map[string]string{"tasks/b.sql": "/* kiln\ntarget: s.b\n*/ SELECT '${x}'"},
			[]string{"tasks/b.sql:3:12: unknown parameter ${x}"}},
		{"known parameters", map[string]string{"tasks/b.sql": sql("params: {n: '7', day: '${bizdate-${n}d}x'}", "SELECT '${src}', ${n}, {{ ds }}, '$${HOME}'")},
			[]string{"tasks/b.sql:2:24: params.day: bad parameter ${bizdate-${n}: want a number after -"}},
		{"unknown parameter in a script", map[string]string{"tasks/b.sh": "#!/bin/bash\necho \"${HOME}\"\n"},
			[]string{"tasks/b.sh:2:7: unknown parameter ${HOME}; for an environment variable write $HOME or $${HOME}"}},
		{"unknown parameter in a script header", map[string]string{"tasks/b.py": "# kiln:\n#   params: {out: '${dir}/x'}\nprint('${out}')\n"},
			[]string{"tasks/b.py:2:20: unknown parameter ${dir}"}},
		{"unknown parameter in a task parameter", map[string]string{"tasks/b.sql": sql("params:\n  day: \"${bizdate} ${hr}\"", "SELECT '${day}'")},
			[]string{"tasks/b.sql:3:20: params.day: unknown parameter ${hr}"}},
		{"unknown parameter in a YAML task", map[string]string{"tasks/b.yaml": "type: sql_script\nsql: |\n  DELETE FROM t;\n    INSERT INTO t SELECT '${nope}';\n"},
			[]string{"tasks/b.yaml:4:27: unknown parameter ${nope}"}},
		{"unknown parameter in a partition value", map[string]string{"tasks/b.sql": sql("target: s.b\nwrite_mode: append\npartition_value: '${month}'", "SELECT 1")},
			[]string{"tasks/b.sql:4:19: partition_value: unknown parameter ${month}"}},
		{"task parameter cycle", map[string]string{"tasks/b.sql": sql("params: {x: '${x}'}", "SELECT 1")},
			[]string{"tasks/b.sql:2:14: params.x: the value refers to itself"}},
		{"bad parameter name", map[string]string{"tasks/b.sql": sql("params: {Big: '1'}", "SELECT 1")},
			[]string{`tasks/b.sql:2:10: params: parameter name "Big": want lower-case letters, digits and _, starting with a letter`}},

		// upstreams
		{"unknown upstream", map[string]string{"tasks/b.sql": sql("upstreams: [a, nope]", "SELECT 1")},
			[]string{"tasks/b.sql:2:16: upstreams: unknown task nope"}},
		{"self upstream", map[string]string{"tasks/b.sql": sql("upstreams:\n  - b", "SELECT 1")},
			[]string{"tasks/b.sql:3:5: upstreams: task b cannot depend on itself"}},
		{"upstream cycle", map[string]string{
			"tasks/b.sql": sql("upstreams: [c]", "SELECT 1"),
			"tasks/c.sql": sql("upstreams: [b]", "SELECT 1"),
		}, []string{"tasks/b.sql:2:12: upstreams: tasks b, c depend on each other in a cycle"}},
		{"upstream on a broken task", map[string]string{
			"tasks/b.sql": sql("upstreams: [c]", "SELECT 1"),
			"tasks/c.sql": sql("target: [", "SELECT 1"),
		}, []string{"tasks/c.sql:2:9: bad YAML: sequence end token ']' not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, probs := Load(setup(t, tt.files))
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
