package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
	"github.com/kilnhq/kiln/project"
	"github.com/kilnhq/kiln/scheduler"
)

// Completions is what the studio's SQL editor completes: the catalog's
// tables with their columns and the parameters a task may use.
type Completions struct {
	Tables []CompletionTable `json:"tables"`
	Params []CompletionParam `json:"params"`
	// Bizdate is the business date the parameters' examples are for.
	Bizdate string `json:"bizdate"`
	// Engines are the project's data sources by name with their kind
	// (duckdb, postgres, mysql): the editor formats SQL in that dialect.
	Engines       map[string]string `json:"engines"`
	DefaultEngine string            `json:"default_engine"`
}

// CompletionTable is one table the editor offers as schema.name.
type CompletionTable struct {
	Engine  string             `json:"engine"`
	Schema  string             `json:"schema,omitempty"`
	Name    string             `json:"name"`
	Kind    string             `json:"kind"` // table, view, or task: a task's target the catalog has not seen yet
	Comment string             `json:"comment,omitempty"`
	Columns []CompletionColumn `json:"columns"`
}

// CompletionColumn is one column of a CompletionTable.
type CompletionColumn struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

// CompletionParam is one ${name} the editor offers.
type CompletionParam struct {
	Name string `json:"name"` // what goes between ${ and }, e.g. bizdate or bizdate-1d
	// Kind is builtin, arithmetic (a built-in moved by an amount) or
	// project (a parameter of the project's kiln.yaml).
	Kind string `json:"kind"`
	// Value is a project parameter's definition as written.
	Value string `json:"value,omitempty"`
	// Example is the value for Completions.Bizdate at hour 00, "" when it
	// cannot be computed without a run.
	Example string `json:"example,omitempty"`
}

// SchedulePreview is a cron read by the scheduler's own code: its next
// fires and the business date each one runs.
type SchedulePreview struct {
	Cron     string         `json:"cron"`
	Timezone string         `json:"timezone"`
	Cycle    string         `json:"cycle,omitempty"` // minute, hourly, daily, weekly, monthly or other
	Next     []ScheduleFire `json:"next"`
	// Error says what is wrong with the cron or time zone; Next is then empty.
	Error string `json:"error,omitempty"`
}

// ScheduleFire is one fire of a schedule.
type ScheduleFire struct {
	At      time.Time `json:"at"`    // with the schedule's time zone offset
	Local   string    `json:"local"` // 2006-01-02 15:04 in the schedule's time zone
	Bizdate string    `json:"bizdate"`
	Hour    int       `json:"hour"`
}

// TaskSettings changes a task's settings; fields left out stay as they
// are. An empty text or list removes the setting, so the project default
// applies (an empty cron: no schedule, manual runs only).
type TaskSettings struct {
	Schedule   *ScheduleSetting `json:"schedule,omitempty"`
	Upstreams  *[]string        `json:"upstreams,omitempty"`
	Retries    *int             `json:"retries,omitempty"`
	RetryDelay *string          `json:"retry_delay,omitempty"` // Go duration: 5m, 1h30m
	Timeout    *string          `json:"timeout,omitempty"`
	Pool       *string          `json:"pool,omitempty"`
	Tier       *string          `json:"tier,omitempty"` // core or normal
	Owner      *string          `json:"owner,omitempty"`
	// Priority: higher runs first (may be negative); 0 removes the key.
	Priority *int `json:"priority,omitempty"`
	// Tags replace the task's tags; an empty list removes them.
	Tags *[]string `json:"tags,omitempty"`
	// Description is one or more lines of text.
	Description *string `json:"description,omitempty"`
	// Params replace the task's parameters (name: value, usable as
	// ${name}); an empty object removes them.
	Params *map[string]string `json:"params,omitempty"`
	// MemoryLimitMB caps a shell or python task's address space; 0: the
	// project default.
	MemoryLimitMB *int `json:"memory_limit_mb,omitempty"`
	// AutoUpstreams adds the upstreams the SQL's lineage implies.
	AutoUpstreams *bool `json:"auto_upstreams,omitempty"`
	// Deadline is how long after its scheduled time an instance should
	// have succeeded (Go duration, e.g. 2h); it makes the on-time rate.
	// Empty removes it.
	Deadline *string `json:"deadline,omitempty"`
	// DependsOnPast makes each instance wait for the task's own instance
	// of the previous cycle to succeed.
	DependsOnPast *bool `json:"depends_on_past,omitempty"`
	// MaxConcurrent caps the task's instances running at once; 0: no cap.
	MaxConcurrent *int `json:"max_concurrent,omitempty"`
	// Message describes the change; it is kept with the version.
	Message string `json:"message,omitempty"`
}

// ScheduleSetting is a cron and its time zone (empty: the project default).
type ScheduleSetting struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone,omitempty"`
}

// Maximum fires a schedule preview lists.
const maxPreview = 50

// builtinExamples are the arithmetic forms the editor offers besides the
// plain built-ins.
var builtinExamples = []string{"bizdate-1d", "bizdate+1d", "bizdate-7d", "bizdate_nodash-1d", "yyyymmdd-1d",
	"month_start-1m", "month_end-1m", "week_start-1w", "hour-1h"}

func (s *Server) registerStudioRoutes() {
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/completions", tag: "studio",
		summary: "What the SQL editor completes: catalog tables with their columns, and the built-in and project parameters",
		scope:   scopeProject, act: meta.ActRead, out: Completions{},
		query: []param{{"engine", "string", "only this data source's tables (default: all)"}}, h: s.completions})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/schedule/preview", tag: "studio",
		summary: "The next fires of a cron in a time zone and their business dates, computed by the scheduler; a bad cron comes back in error",
		scope:   scopeProject, act: meta.ActRead, out: SchedulePreview{},
		query: []param{{"cron", "string", "5-field cron or @daily…"}, {"timezone", "string", "IANA zone; default: the project's"},
			{"n", "integer", "how many fires, 1-50; default 5"}, {"from", "string", "RFC 3339 time to count from; default now"}},
		h: s.schedulePreview})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/tasks/{task}/upstream-advice", tag: "studio",
		summary: "Upstreams the task's SQL lineage implies that it does not declare, and declared SQL upstreams it reads nothing from",
		scope:   scopeProject, act: meta.ActRead, out: lineage.UpstreamAdvice{}, h: s.upstreamAdvice})
	s.add(&route{method: "PATCH", path: "/api/v1/projects/{project}/tasks/{task}/settings", tag: "studio",
		summary: "Change settings in the task's file header and save it as a new version (checked as PUT …/file; 422 with the problems)",
		scope:   scopeProject, act: meta.ActWrite, in: TaskSettings{}, out: SaveTaskResult{}, h: s.patchTaskSettings})
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request, c *call) error {
	eng := r.URL.Query().Get("engine")
	out := Completions{Tables: []CompletionTable{}, Engines: map[string]string{}, DefaultEngine: c.project.DefaultEngine}
	seen := map[string]bool{}
	if s.catalog != nil {
		ts, err := s.catalog.Tables(r.Context(), c.project.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if eng != "" && t.Engine != eng {
				continue
			}
			ct := CompletionTable{Engine: t.Engine, Schema: t.Schema, Name: t.Name, Kind: t.Kind, Comment: t.Comment,
				Columns: make([]CompletionColumn, 0, len(t.Columns))}
			for _, col := range t.Columns {
				ct.Columns = append(ct.Columns, CompletionColumn{Name: col.Name, Type: col.Type, Comment: col.Comment})
			}
			out.Tables = append(out.Tables, ct)
			seen[strings.ToLower(t.FullName())] = true
		}
	}
	tc, err := s.taskContext(r.Context(), c.project)
	if err != nil {
		return err
	}
	for _, e := range tc.Engines {
		out.Engines[e.Name] = e.Kind
	}
	// Targets of tasks that have not run yet are tables too, without columns.
	for _, t := range tc.Tasks {
		if t.Target == "" || strings.Contains(t.Target, "${") || seen[strings.ToLower(t.Target)] {
			continue
		}
		te := cmp.Or(t.Engine, c.project.DefaultEngine)
		if eng != "" && te != eng {
			continue
		}
		schema, name, ok := strings.Cut(t.Target, ".")
		if !ok {
			schema, name = "", t.Target
		}
		seen[strings.ToLower(t.Target)] = true
		out.Tables = append(out.Tables, CompletionTable{Engine: te, Schema: schema, Name: name, Kind: "task", Columns: []CompletionColumn{}})
	}
	out.Params, out.Bizdate = s.paramCompletions(c.project)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// paramCompletions lists the built-ins, a few arithmetic forms and the
// project's parameters, each with its value for yesterday in the project's
// time zone.
func (s *Server) paramCompletions(p *meta.Project) ([]CompletionParam, string) {
	loc := time.UTC
	if tz := p.Config.Defaults.Timezone; tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	now := time.Now().In(loc)
	bizdate := time.Date(now.Year(), now.Month(), now.Day()-1, 0, 0, 0, 0, time.UTC)
	pc := &params.Context{Bizdate: bizdate, Project: p.Name, Task: "task", DataDir: s.cfg.DataDir, Values: p.Config.Params}
	example := func(name string) string {
		v, err := params.Render("${"+name+"}", pc)
		if err != nil {
			return ""
		}
		return v
	}
	var out []CompletionParam
	for _, n := range params.Builtins() {
		out = append(out, CompletionParam{Name: n, Kind: "builtin", Example: example(n)})
	}
	for _, n := range builtinExamples {
		out = append(out, CompletionParam{Name: n, Kind: "arithmetic", Example: example(n)})
	}
	names := make([]string, 0, len(p.Config.Params))
	for n := range p.Config.Params {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, CompletionParam{Name: n, Kind: "project", Value: p.Config.Params[n], Example: example(n)})
	}
	return out, bizdate.Format(time.DateOnly)
}

func (s *Server) schedulePreview(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	out := SchedulePreview{Cron: strings.TrimSpace(q.Get("cron")), Timezone: q.Get("timezone"), Next: []ScheduleFire{}}
	out.Timezone = cmp.Or(out.Timezone, c.project.Config.Defaults.Timezone, "UTC")
	n := 5
	if v := q.Get("n"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > maxPreview {
			return badRequest("n must be a whole number from 1 to %d, got %q", maxPreview, v)
		}
		n = k
	}
	from := time.Now()
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return badRequest("from must be an RFC 3339 time like 2026-01-15T00:00:00Z, got %q", v)
		}
		if t.Year() < 1970 || t.Year() > 2999 {
			return badRequest("from must be a time between the years 1970 and 2999, got %q", v)
		}
		from = t
	}
	if msg := project.CheckSchedule(out.Cron, out.Timezone); msg != "" {
		out.Error = msg
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	sched, err := scheduler.ParseSchedule(meta.Schedule{Cron: out.Cron, Timezone: out.Timezone}, "")
	if err != nil {
		out.Error = err.Error()
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	out.Cycle = string(sched.Cycle)
	for t := from; len(out.Next) < n; {
		t = sched.Next(t)
		if t.IsZero() { // a cron that never fires (Feb 30)
			break
		}
		p := sched.PeriodOf(t)
		at := t.In(sched.Loc)
		out.Next = append(out.Next, ScheduleFire{At: at, Local: at.Format("2006-01-02 15:04"), Bizdate: p.Bizdate, Hour: p.Hour})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) upstreamAdvice(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.task(r.Context(), c, r.PathValue("task"))
	if err != nil {
		return err
	}
	tc, err := s.taskContext(r.Context(), c.project)
	if err != nil {
		return err
	}
	out := lineage.UpstreamAdvice{Task: t.Name}
	p := &project.Project{Name: tc.Project, DefaultEngine: tc.DefaultEngine, Engines: tc.Engines, Config: tc.Config, Tasks: tc.Tasks}
	for _, a := range lineage.AdviseUpstreams(p, false) {
		if a.Task == t.Name {
			out = a
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) patchTaskSettings(w http.ResponseWriter, r *http.Request, c *call) error {
	var req TaskSettings
	if err := s.decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	defer s.lockFolder(c.project.Name)() // read, change and write back as one
	t, err := s.task(ctx, c, r.PathValue("task"))
	if err != nil {
		return err
	}
	v, err := s.store.GetVersion(ctx, t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	tc, err := s.taskContext(ctx, c.project)
	if err != nil {
		return err
	}
	cur, err := s.currentFile(c.project.Name, v, tc) // the folder's file keeps its comments
	if err != nil {
		return err
	}
	file := cur.Path
	content, err := project.SetTaskSettings(file, cur.Content, req.settings(tc.Config.Defaults.Timezone))
	if err != nil {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_task", Message: err.Error(),
			Details: []project.Problem{{File: file, Message: err.Error()}}}
	}
	res, err := s.saveTaskFile(ctx, c, t.Name, TaskFile{Path: file, Content: content, Message: req.Message}, tc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// settings are the header keys a settings change writes; an empty value
// removes its key.
func (req *TaskSettings) settings(defaultTZ string) []project.Setting {
	var out []project.Setting
	text := func(key string, v *string) {
		if v == nil {
			return
		}
		if s := strings.TrimSpace(*v); s != "" {
			out = append(out, project.Setting{Key: key, Value: s})
		} else {
			out = append(out, project.Setting{Key: key})
		}
	}
	if sc := req.Schedule; sc != nil {
		cron, tz := strings.TrimSpace(sc.Cron), strings.TrimSpace(sc.Timezone)
		switch {
		case cron == "":
			out = append(out, project.Setting{Key: "schedule"})
		case tz == "" || tz == defaultTZ:
			out = append(out, project.Setting{Key: "schedule", Value: cron})
		default:
			out = append(out, project.Setting{Key: "schedule", Value: yaml.MapSlice{{Key: "cron", Value: cron}, {Key: "timezone", Value: tz}}})
		}
	}
	if req.Upstreams != nil {
		var ups []string
		for _, u := range *req.Upstreams {
			if u = strings.TrimSpace(u); u != "" && !slices.Contains(ups, u) {
				ups = append(ups, u)
			}
		}
		if len(ups) > 0 {
			out = append(out, project.Setting{Key: "upstreams", Value: ups})
		} else {
			out = append(out, project.Setting{Key: "upstreams"})
		}
	}
	if req.Retries != nil {
		out = append(out, project.Setting{Key: "retries", Value: *req.Retries})
	}
	text("retry_delay", req.RetryDelay)
	text("timeout", req.Timeout)
	text("pool", req.Pool)
	text("tier", req.Tier)
	text("owner", req.Owner)
	// Zero, false and empty remove their key (the value it then has).
	count := func(key string, v *int) {
		if v == nil {
			return
		}
		if *v != 0 {
			out = append(out, project.Setting{Key: key, Value: *v})
		} else {
			out = append(out, project.Setting{Key: key})
		}
	}
	count("priority", req.Priority)
	count("memory_limit_mb", req.MemoryLimitMB)
	if req.Tags != nil {
		var tags []string
		for _, tg := range *req.Tags {
			if tg = strings.TrimSpace(tg); tg != "" && !slices.Contains(tags, tg) {
				tags = append(tags, tg)
			}
		}
		if len(tags) > 0 {
			out = append(out, project.Setting{Key: "tags", Value: tags})
		} else {
			out = append(out, project.Setting{Key: "tags"})
		}
	}
	if req.Description != nil {
		d := strings.TrimSpace(strings.ReplaceAll(*req.Description, "\r\n", "\n"))
		if d != "" {
			out = append(out, project.Setting{Key: "description", Value: d})
		} else {
			out = append(out, project.Setting{Key: "description"})
		}
	}
	if req.Params != nil {
		names := make([]string, 0, len(*req.Params))
		for n := range *req.Params {
			names = append(names, n)
		}
		slices.Sort(names)
		var ps yaml.MapSlice
		for _, n := range names {
			if k := strings.TrimSpace(n); k != "" {
				ps = append(ps, yaml.MapItem{Key: k, Value: (*req.Params)[n]})
			}
		}
		if len(ps) > 0 {
			out = append(out, project.Setting{Key: "params", Value: ps})
		} else {
			out = append(out, project.Setting{Key: "params"})
		}
	}
	flag := func(key string, v *bool) {
		switch {
		case v == nil:
		case *v:
			out = append(out, project.Setting{Key: key, Value: true})
		default:
			out = append(out, project.Setting{Key: key})
		}
	}
	flag("auto_upstreams", req.AutoUpstreams)
	text("deadline", req.Deadline)
	flag("depends_on_past", req.DependsOnPast)
	count("max_concurrent", req.MaxConcurrent)
	return out
}
