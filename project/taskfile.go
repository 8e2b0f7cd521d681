package project

import (
	"path"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/meta"
)

// draft is one task file as read, with the places checks point at.
type draft struct {
	spec   meta.TaskSpec
	ext    string         // .sql, .sh, .py or .yaml
	anchor pos            // the header's first line; zero when there is none
	set    map[string]pos // settings present, at their values
	keyAt  map[string]pos // settings present, at their keys
	ups    []item         // upstreams as written
	params map[string]pos // task parameters, at their values
	// body is the text rendered at run time; bodyAt places a line and column
	// of it in the file.
	body   string
	bodyAt func(line, col int) pos
	// broken is set when the settings could not be parsed; such a task only
	// lends its name to the others' upstreams.
	broken bool
}

// readTask reads one task file. Problems in it are added to probs.
func readTask(file, src string, probs *problems) *draft {
	dr := &draft{
		ext:   path.Ext(file),
		set:   map[string]pos{},
		keyAt: map[string]pos{},
	}
	dr.spec.Path = file
	d := &decoder{file: file, lines: lineMap{first: 1}, probs: probs}
	switch dr.ext {
	case ".sql", ".sh", ".py":
		var h header
		if dr.ext == ".sql" {
			h = splitSQL(src, file, probs)
		} else {
			h = splitScript(src, file, probs)
		}
		dr.anchor = h.at
		if h.found {
			d.lines = h.lines
			d.mapping(d.parse(h.yaml), "the task settings", dr.fields(d, false))
		}
		dr.broken = h.broken
		dr.body = h.body
		dr.bodyAt = func(l, c int) pos { return inText(h.bodyAt, l, c) }
		if dr.ext == ".sql" {
			dr.spec.SQL = strings.TrimSpace(h.body)
		} else {
			dr.spec.Script = src
		}
	case ".yaml":
		dr.anchor = pos{line: 1}
		d.mapping(d.parse(src), "the task", dr.fields(d, true))
	}
	dr.broken = dr.broken || d.broken
	if dr.broken && dr.spec.Name == "" {
		dr.spec.Name = strings.TrimSuffix(path.Base(file), dr.ext)
	}
	return dr
}

func (dr *draft) mark(d *decoder, key string, k, v ast.Node) {
	dr.set[key] = d.valuePos(k, v)
	dr.keyAt[key] = d.where(k.GetToken())
}

// fields reads the task settings; a YAML task also holds its body.
func (dr *draft) fields(d *decoder, yamlTask bool) fields {
	s := &dr.spec
	text := func(key string, dst *string) func(k, v ast.Node) {
		return func(k, v ast.Node) {
			*dst, _ = d.text(key, v)
			dr.mark(d, key, k, v)
		}
	}
	count := func(key string, dst *int, allowNegative bool) func(k, v ast.Node) {
		return func(k, v ast.Node) {
			*dst, _ = d.integer(key, v, allowNegative)
			dr.mark(d, key, k, v)
		}
	}
	duration := func(key string, dst *meta.Duration) func(k, v ast.Node) {
		return func(k, v ast.Node) {
			dur, _ := d.duration(key, v)
			*dst = meta.Duration(dur)
			dr.mark(d, key, k, v)
		}
	}
	strs := func(key string, dst *[]string) func(k, v ast.Node) {
		return func(k, v ast.Node) {
			for _, it := range d.list(key, v) {
				*dst = append(*dst, it.value)
			}
			dr.mark(d, key, k, v)
		}
	}
	fs := fields{
		"name":           text("name", &s.Name),
		"type":           text("type", (*string)(&s.Type)),
		"engine":         text("engine", &s.Engine),
		"schedule":       func(k, v ast.Node) { dr.readSchedule(d, k, v) },
		"upstreams":      func(k, v ast.Node) { dr.ups = d.upstreams("upstreams", v); dr.mark(d, "upstreams", k, v) },
		"auto_upstreams": func(k, v ast.Node) { s.AutoUpstreams = d.flag("auto_upstreams", v); dr.mark(d, "auto_upstreams", k, v) },
		"params":         func(k, v ast.Node) { dr.readParams(d, k, v) },
		"retries":        count("retries", &s.Retries, false),
		"retry_delay":    duration("retry_delay", &s.RetryDelay),
		"timeout":        duration("timeout", &s.Timeout),
		"deadline":       duration("deadline", &s.Deadline),
		"depends_on_past": func(k, v ast.Node) {
			s.DependsOnPast = d.flag("depends_on_past", v)
			dr.mark(d, "depends_on_past", k, v)
		},
		"max_concurrent":   count("max_concurrent", &s.MaxConcurrent, false),
		"priority":         count("priority", &s.Priority, true),
		"pool":             text("pool", &s.Pool),
		"owner":            text("owner", &s.Owner),
		"tier":             text("tier", (*string)(&s.Tier)),
		"tags":             strs("tags", &s.Tags),
		"description":      text("description", &s.Description),
		"target":           text("target", &s.Target),
		"write_mode":       text("write_mode", (*string)(&s.WriteMode)),
		"partition_column": text("partition_column", &s.PartitionColumn),
		"partition_value":  text("partition_value", &s.PartitionValue),
		"unique_key":       strs("unique_key", &s.UniqueKey),
		"memory_limit_mb":  count("memory_limit_mb", &s.MemoryLimitMB, false),
		"quality":          func(k, v ast.Node) { dr.readQuality(d, k, v) },
	}
	if yamlTask {
		fs["sql"] = func(k, v ast.Node) { dr.readBody(d, "sql", k, v) }
		fs["script"] = func(k, v ast.Node) { dr.readBody(d, "script", k, v) }
		fs["sync"] = func(k, v ast.Node) { dr.readSync(d, k, v) }
	}
	return fs
}

func (dr *draft) readSchedule(d *decoder, k, v ast.Node) {
	dr.mark(d, "schedule", k, v)
	v = d.unwrap(v)
	if v == nil || v.Type() == ast.NullType {
		return
	}
	if _, ok := mapIter(v); ok {
		d.mapping(v, "schedule", fields{
			"cron": func(k, v ast.Node) {
				dr.spec.Schedule.Cron, _ = d.text("schedule.cron", v)
				dr.mark(d, "cron", k, v)
			},
			"timezone": func(k, v ast.Node) {
				dr.spec.Schedule.Timezone, _ = d.text("schedule.timezone", v)
				dr.mark(d, "timezone", k, v)
			},
		})
		return
	}
	dr.spec.Schedule.Cron, _ = d.text("schedule", v)
	dr.mark(d, "cron", k, v)
}

func (dr *draft) readParams(d *decoder, k, v ast.Node) {
	dr.mark(d, "params", k, v)
	dr.spec.Params, dr.params = d.textMap("params", v)
	checkParamNames(d, "params", v)
}

// readBody reads the sql or script of a YAML task and where its text starts.
func (dr *draft) readBody(d *decoder, key string, k, v ast.Node) {
	dr.mark(d, key, k, v)
	body, _ := d.text(key, v)
	if key == "sql" {
		dr.spec.SQL = strings.TrimSpace(body)
	} else {
		dr.spec.Script = body
	}
	dr.body = body
	start := d.valuePos(k, v)
	if lit, ok := d.unwrap(v).(*ast.LiteralNode); ok {
		// A block scalar's text starts on the next line, indented.
		indent := d.blockIndent(lit.GetToken().Position.Line)
		dr.bodyAt = func(l, c int) pos { return pos{line: start.line + l, col: c + indent} }
		return
	}
	dr.bodyAt = func(l, c int) pos { return inText(start, l, c) }
}
