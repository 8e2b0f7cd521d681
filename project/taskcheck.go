package project

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kilnhq/kiln/meta"
)

var (
	taskNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	identRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tableRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
	cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sqlTypes   = []meta.TaskType{meta.TaskSQLModel, meta.TaskSQLScript}
	modelOnly  = []string{"target", "write_mode", "partition_column", "partition_value", "unique_key"}
	typesByExt = map[string][]meta.TaskType{".sql": sqlTypes, ".sh": {meta.TaskShell}, ".py": {meta.TaskPython}}
)

const allTaskTypes = "sql_model, sql_script, shell or python"

// DefaultPartitionValue is the period value a partitioned model replaces
// when the task names none.
const DefaultPartitionValue = "${bizdate}"

// check validates what a task file says on its own and fills what follows
// from it: the name from the file name, the type from the extension and
// the target, the write mode and partition value of models.
func (dr *draft) check(probs *problems) {
	s, file := &dr.spec, dr.spec.Path
	if _, ok := dr.set["name"]; !ok {
		s.Name = strings.TrimSuffix(path.Base(file), dr.ext)
	}
	if !taskNameRe.MatchString(s.Name) {
		from := ""
		if _, ok := dr.set["name"]; !ok {
			from = " (from the file name)"
		}
		probs.add(file, dr.set["name"], "task name %q%s: want lower-case letters, digits and _, starting with a letter", s.Name, from)
	}
	if !dr.checkType(probs) {
		return
	}
	dr.checkKinds(probs)
	if s.Type == meta.TaskSQLModel {
		dr.checkModel(probs)
	}
	dr.checkBody(probs)
	dr.checkSchedule(probs)
	if !validTier(s.Tier) {
		probs.add(file, dr.set["tier"], "tier: unknown tier %q: want core or normal", s.Tier)
	}
	seen := map[string]bool{}
	for _, u := range dr.ups {
		switch {
		case u.value == s.Name:
			probs.add(file, u.at, "upstreams: task %s cannot depend on itself", u.value)
		case seen[u.value]:
			probs.add(file, u.at, "upstreams: %s is listed twice", u.value)
		default:
			s.Upstreams = append(s.Upstreams, u.value)
		}
		seen[u.value] = true
	}
}

// checkType infers or checks the task type; it reports false when the type
// is unusable and further checks would only add noise.
func (dr *draft) checkType(probs *problems) bool {
	s, file := &dr.spec, dr.spec.Path
	_, typeSet := dr.set["type"]
	switch {
	case !typeSet && dr.ext == ".yaml":
		probs.add(file, dr.anchor, "type is required in a YAML task: %s", allTaskTypes)
		return false
	case !typeSet && dr.ext == ".sql" && s.Target != "":
		s.Type = meta.TaskSQLModel
	case !typeSet && dr.ext == ".sql":
		s.Type = meta.TaskSQLScript
	case !typeSet:
		s.Type = typesByExt[dr.ext][0]
	case !s.Type.Valid():
		probs.add(file, dr.set["type"], "type: unknown type %q: want %s", s.Type, allTaskTypes)
		return false
	}
	if fit, ok := typesByExt[dr.ext]; ok && !slices.Contains(fit, s.Type) {
		probs.add(file, dr.set["type"], "type: a %s file cannot hold a %s task", dr.ext, s.Type)
		return false
	}
	return true
}

// checkKinds reports settings that do not apply to the task's type.
func (dr *draft) checkKinds(probs *problems) {
	s, file := &dr.spec, dr.spec.Path
	if at, ok := dr.set["pool"]; ok && s.Pool != "" {
		if err := meta.ValidatePool(s.Pool, 1); err != nil {
			probs.add(file, at, "pool: %v", err)
		}
	}
	if s.Type == meta.TaskSync {
		dr.checkSync(probs)
		return
	}
	isSQL := slices.Contains(sqlTypes, s.Type)
	misplaced := func(key, why string) {
		if at, ok := dr.keyAt[key]; ok {
			probs.add(file, at, "%s: %s", key, why)
		}
	}
	if isSQL {
		misplaced("memory_limit_mb", "only shell and python tasks have a memory limit")
		misplaced("script", "a SQL task holds sql, not script")
		if _, ok := dr.set["sql"]; !ok && dr.ext == ".yaml" {
			probs.add(file, dr.set["type"], "sql is required in a YAML %s task", s.Type)
		}
	} else {
		misplaced("engine", "only SQL tasks run on an engine")
		misplaced("sql", "a "+string(s.Type)+" task holds script, not sql")
		if _, ok := dr.set["script"]; !ok && dr.ext == ".yaml" {
			probs.add(file, dr.set["type"], "script is required in a YAML %s task", s.Type)
		}
	}
	if s.Type != meta.TaskSQLModel {
		for _, key := range modelOnly {
			misplaced(key, "only sql_model tasks write a target")
		}
	}
}

// checkModel checks a SQL model's target and write mode.
func (dr *draft) checkModel(probs *problems) {
	s, file := &dr.spec, dr.spec.Path
	typeAt := dr.set["type"]
	if _, ok := dr.set["type"]; !ok {
		typeAt = dr.set["target"]
	}
	if s.Target == "" {
		probs.add(file, typeAt, "a sql_model needs a target: the [schema.]table it writes")
	} else if !tableRe.MatchString(refsAsWords(s.Target)) {
		probs.add(file, dr.set["target"], "target %q: want [schema.]table, letters, digits and _", s.Target)
	}
	if s.WriteMode == "" {
		s.WriteMode = meta.WriteOverwrite
	}
	modeAt := dr.set["write_mode"]
	if _, ok := dr.set["write_mode"]; !ok {
		modeAt = typeAt
	}
	misplaced := func(key string, why string) {
		if at, ok := dr.keyAt[key]; ok {
			probs.add(file, at, "%s: %s", key, why)
		}
	}
	switch s.WriteMode {
	case meta.WriteOverwritePartition:
		if s.PartitionColumn == "" {
			probs.add(file, modeAt, "write_mode overwrite_partition needs a partition_column")
		} else if !identRe.MatchString(s.PartitionColumn) {
			probs.add(file, dr.set["partition_column"], "partition_column %q: want a column name", s.PartitionColumn)
		}
	case meta.WriteMerge:
		if len(s.UniqueKey) == 0 {
			probs.add(file, modeAt, "write_mode merge needs a unique_key: the columns a row is matched on")
		}
		for _, k := range s.UniqueKey {
			if !identRe.MatchString(k) {
				probs.add(file, dr.set["unique_key"], "unique_key %q: want a column name", k)
			}
		}
	case meta.WriteOverwrite, meta.WriteAppend:
	default:
		probs.add(file, modeAt, "write_mode: unknown mode %q: want overwrite, overwrite_partition, append or merge", s.WriteMode)
		return
	}
	if s.WriteMode != meta.WriteOverwritePartition {
		misplaced("partition_column", "only overwrite_partition models have one")
	}
	if s.WriteMode != meta.WriteMerge {
		misplaced("unique_key", "only merge models have one")
	}
	if s.WriteMode == meta.WriteOverwritePartition || s.WriteMode == meta.WriteAppend {
		if s.PartitionValue == "" {
			s.PartitionValue = DefaultPartitionValue
		}
	} else {
		misplaced("partition_value", "only overwrite_partition and append models have one")
	}
}

// checkBody checks that SQL is there and that a model's SQL is a query.
func (dr *draft) checkBody(probs *problems) {
	s, file := &dr.spec, dr.spec.Path
	if !slices.Contains(sqlTypes, s.Type) || dr.bodyAt == nil {
		return
	}
	word, off := firstWord(dr.body)
	at := dr.bodyAt(offsetPos(dr.body, off).line, offsetPos(dr.body, off).col)
	switch {
	case word == "" && dr.ext == ".sql" && !dr.anchor.isZero():
		probs.add(file, dr.anchor, "the SQL after the header is empty")
	case word == "":
		probs.add(file, at, "the SQL is empty")
	case s.Type != meta.TaskSQLModel:
	case strings.EqualFold(word, "SELECT"), strings.EqualFold(word, "WITH"), word == "(":
	default:
		probs.add(file, at, "a sql_model is one query starting with SELECT, WITH or (, not %q; use type sql_script for other statements", word)
	}
}

// refsAsWords replaces the ${...} references of a target with a word, so a
// table named per period (ods.orders_${bizdate_nodash}) checks as a name.
func refsAsWords(s string) string {
	for {
		i := strings.Index(s, "${")
		j := strings.Index(s[max(i, 0):], "}")
		if i < 0 || j < 0 {
			return s
		}
		s = s[:i] + "p" + s[i+j+1:]
	}
}

func (p pos) isZero() bool { return p == pos{} }

// checkSchedule checks the cron expression and the time zone.
func (dr *draft) checkSchedule(probs *problems) {
	s, file := &dr.spec.Schedule, dr.spec.Path
	if _, ok := dr.set["cron"]; ok {
		if msg := checkCron(s.Cron); msg != "" {
			probs.add(file, dr.set["cron"], "schedule: %s", msg)
		}
	}
	if s.Timezone == "" {
		return
	}
	if s.Cron == "" {
		probs.add(file, dr.set["timezone"], "schedule.timezone: a time zone needs a cron")
	} else if msg := checkTimezone(s.Timezone); msg != "" {
		probs.add(file, dr.set["timezone"], "schedule.timezone: %s", msg)
	}
}

// checkCron returns why expr is not a 5-field cron or a descriptor, or "".
func checkCron(expr string) (msg string) {
	expr = strings.TrimSpace(expr)
	switch {
	case expr == "":
		return "empty cron: leave schedule out for manual runs only"
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return "put the time zone in schedule.timezone, not in the cron"
	case strings.HasPrefix(expr, "@every"):
		return "@every is not supported: write a 5-field cron like \"*/30 * * * *\""
	}
	defer func() {
		if recover() != nil {
			msg = fmt.Sprintf("bad cron %q", expr)
		}
	}()
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return fmt.Sprintf("bad cron %q: %v (want 5 fields: minute hour day-of-month month day-of-week, or @daily, @hourly…)", expr, err)
	}
	// A cron no date matches (0 0 30 2 *, 0 0 31 4 *) never fires: the
	// cron library finds no fire within five years. Five years from 2024
	// hold two leap days, so a Feb 29 cron passes.
	if sched.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return fmt.Sprintf("cron %q never fires: no date matches its day of month and month", expr)
	}
	return ""
}
