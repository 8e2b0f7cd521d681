package project

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/kilnhq/kiln/meta"
)

// TaskPath is where a task's file sits: the path it was read from, or
// tasks/<name> with the extension of its type for a task that has none.
func TaskPath(s meta.TaskSpec) string {
	if s.Path != "" {
		return s.Path
	}
	ext := ".yaml"
	switch s.Type {
	case meta.TaskSQLModel, meta.TaskSQLScript:
		ext = ".sql"
	case meta.TaskShell:
		ext = ".sh"
	case meta.TaskPython:
		ext = ".py"
	}
	return path.Join(DefaultTaskDir, s.Name+ext)
}

// RenderTask writes a task back as the file it is read from: for SQL the
// /* kiln */ header and the SQL, for YAML tasks the whole task. Settings
// equal to the project defaults (tc) are left out, so that the file keeps
// following them; LoadTask of the result gives the same spec back. Shell
// and python tasks are their script, which holds their header already.
func RenderTask(s meta.TaskSpec, tc TaskContext) (string, error) {
	file := TaskPath(s)
	ext := path.Ext(file)
	if ext == ".sh" || ext == ".py" {
		return s.Script, nil
	}
	settings, err := taskSettings(s, file, tc)
	if err != nil {
		return "", err
	}
	if ext == ".yaml" {
		switch {
		case s.Sync != nil:
			sync, err := plain(s.Sync)
			if err != nil {
				return "", err
			}
			settings = append(settings, yaml.MapItem{Key: "sync", Value: sync})
		case slices.Contains(sqlTypes, s.Type):
			settings = append(settings, yaml.MapItem{Key: "sql", Value: s.SQL + "\n"})
		default:
			settings = append(settings, yaml.MapItem{Key: "script", Value: s.Script})
		}
		return marshalSettings(settings)
	}
	var b strings.Builder
	if len(settings) > 0 {
		out, err := marshalSettings(settings)
		if err != nil {
			return "", err
		}
		if strings.Contains(out, "*/") {
			return "", fmt.Errorf("task %s: a setting holds */, which would end the header", s.Name)
		}
		b.WriteString("/* kiln\n")
		b.WriteString(out)
		b.WriteString("*/\n")
	}
	b.WriteString(s.SQL)
	b.WriteString("\n")
	return b.String(), nil
}

// taskSettings lists a task's settings in the order docs/projects.md shows
// them, leaving out what the file name, the type or the defaults imply.
func taskSettings(s meta.TaskSpec, file string, tc TaskContext) (yaml.MapSlice, error) {
	def := tc.Config.Defaults
	var m yaml.MapSlice
	add := func(key string, v any, keep bool) {
		if keep {
			m = append(m, yaml.MapItem{Key: key, Value: v})
		}
	}
	add("name", s.Name, s.Name != strings.TrimSuffix(path.Base(file), path.Ext(file)))
	add("type", string(s.Type), true)
	add("description", s.Description, s.Description != "")
	add("engine", s.Engine, s.Engine != "" && s.Engine != tc.DefaultEngine)
	switch {
	case s.Schedule.Cron == "":
	case s.Schedule.Timezone != def.Timezone:
		add("schedule", yaml.MapSlice{{Key: "cron", Value: s.Schedule.Cron}, {Key: "timezone", Value: s.Schedule.Timezone}}, true)
	default:
		add("schedule", s.Schedule.Cron, true)
	}
	add("upstreams", s.Upstreams, len(s.Upstreams) > 0)
	add("auto_upstreams", true, s.AutoUpstreams)
	add("params", s.Params, len(s.Params) > 0)
	add("target", s.Target, s.Target != "")
	add("write_mode", string(s.WriteMode), s.WriteMode != "")
	add("partition_column", s.PartitionColumn, s.PartitionColumn != "")
	add("partition_value", s.PartitionValue, s.PartitionValue != "" && s.PartitionValue != DefaultPartitionValue)
	add("unique_key", s.UniqueKey, len(s.UniqueKey) > 0)
	add("retries", s.Retries, s.Retries != def.Retries)
	add("retry_delay", s.RetryDelay.Std().String(), s.RetryDelay != def.RetryDelay)
	add("timeout", s.Timeout.Std().String(), s.Timeout != def.Timeout)
	add("deadline", s.Deadline.Std().String(), s.Deadline > 0)
	add("depends_on_past", true, s.DependsOnPast)
	add("max_concurrent", s.MaxConcurrent, s.MaxConcurrent > 0)
	add("priority", s.Priority, s.Priority != 0)
	add("pool", s.Pool, s.Pool != def.Pool)
	add("owner", s.Owner, s.Owner != def.Owner)
	add("tier", string(s.Tier), s.Tier != def.Tier)
	add("tags", s.Tags, len(s.Tags) > 0)
	scripted := s.Type == meta.TaskShell || s.Type == meta.TaskPython
	add("memory_limit_mb", s.MemoryLimitMB, scripted && s.MemoryLimitMB != def.MemoryLimitMB)
	if len(s.Quality) > 0 {
		rules := make([]meta.QualityRule, len(s.Quality))
		copy(rules, s.Quality)
		for i := range rules {
			rules[i].Task = ""
		}
		q, err := plain(rules)
		if err != nil {
			return nil, err
		}
		add("quality", q, true)
	}
	return m, nil
}

// marshalSettings writes settings in order, lists of names in flow style
// ([a, b]) as people write them, and multi-line text as literal blocks.
func marshalSettings(m yaml.MapSlice) (string, error) {
	var b strings.Builder
	for _, it := range m {
		if list, ok := it.Value.([]string); ok {
			out, err := yaml.MarshalWithOptions(list, yaml.Flow(true))
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%s: %s", it.Key, out)
			continue
		}
		out, err := yaml.MarshalWithOptions(yaml.MapSlice{it}, yaml.UseLiteralStyleIfMultiline(true))
		if err != nil {
			return "", err
		}
		b.Write(out)
	}
	return b.String(), nil
}

// plain turns a value into maps and lists through its JSON form, so it
// is written with the same keys the parser reads.
func plain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
