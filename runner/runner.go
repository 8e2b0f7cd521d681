// Package runner executes one instance of a task: it renders parameters,
// runs SQL on an engine or a script as a subprocess, writes the instance log
// and reports the outcome. It does not change instance states; the worker
// that claimed the instance does.
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
)

// Defaults of Config.
const (
	DefaultPython    = "python3"
	DefaultShell     = "bash"
	DefaultKillGrace = 3 * time.Second
)

// ErrKilled is the cancel cause a worker gives when an operator kills a
// running instance.
var ErrKilled = errors.New("killed by an operator")

// Engines gives the engine a project's data source names.
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Config tunes a Runner.
type Config struct {
	// DataDir is the server's data directory, ${data_dir} in tasks.
	DataDir string
	// WorkDir holds the working directories of running instances; default DataDir/work.
	WorkDir string
	// DefaultMemoryLimitMB caps shell and python tasks that set no limit; 0: none.
	DefaultMemoryLimitMB int
	// KeepWorkDirs keeps working directories after a run, for debugging.
	KeepWorkDirs bool
	// Python and Shell are the interpreters of python and shell tasks.
	Python, Shell string
	// KillGrace is how long a process group gets between SIGTERM and SIGKILL.
	KillGrace time.Duration
}

// Runner runs instances.
type Runner struct {
	cfg       Config
	store     meta.Store
	engines   Engines
	logs      *logstore.Store
	log       *slog.Logger
	executors map[meta.TaskType]Executor
	checkers  []Checker
	versions  sync.Map // version id → *meta.Version; versions never change
	dirs      *workDirs
}

// Job is one instance being run, as an Executor or Checker sees it.
type Job struct {
	Instance *meta.Instance
	Spec     *meta.TaskSpec
	Project  *meta.Project
	Params   *params.Context
	Log      *logstore.Writer
	Engines  Engines
}

// Executor runs a task type the runner does not run itself (sync tasks,
// for one). Register it with Register before the worker starts.
type Executor interface {
	Run(ctx context.Context, job *Job) Outcome
}

// Checker runs after a task's body succeeded (quality rules, for one). An
// error fails the instance with the error's message, so its downstream
// does not start.
type Checker interface {
	Check(ctx context.Context, job *Job, out *Outcome) error
}

// Register makes e run tasks of type t.
func (r *Runner) Register(t meta.TaskType, e Executor) { r.executors[t] = e }

// AddChecker adds a check that runs after every successful task body.
func (r *Runner) AddChecker(c Checker) { r.checkers = append(r.checkers, c) }

// New returns a Runner.
func New(cfg Config, store meta.Store, engines Engines, logs *logstore.Store, log *slog.Logger) *Runner {
	cfg.WorkDir = cmp.Or(cfg.WorkDir, filepath.Join(cfg.DataDir, "work"))
	cfg.Python = cmp.Or(cfg.Python, DefaultPython)
	cfg.Shell = cmp.Or(cfg.Shell, DefaultShell)
	cfg.KillGrace = cmp.Or(cfg.KillGrace, DefaultKillGrace)
	return &Runner{cfg: cfg, store: store, engines: engines, logs: logs, log: log, executors: map[meta.TaskType]Executor{},
		dirs: &workDirs{root: cfg.WorkDir}}
}

// Outcome is how a run ended.
type Outcome struct {
	State      meta.State // success, failed or killed
	Rows       int64
	Rendered   string
	Error      string
	CPUSeconds float64
}

// Run executes a claimed instance and returns its outcome. Cancel ctx with
// cause ErrKilled to kill it.
func (r *Runner) Run(ctx context.Context, inst *meta.Instance) Outcome {
	lw, err := r.logs.Open(inst.ID)
	if err != nil {
		return Outcome{State: meta.StateFailed, Error: err.Error()}
	}
	defer lw.Close()
	start := time.Now()
	lw.Printf("instance %d: task %s version %d, bizdate %s, attempt %d", inst.ID, inst.TaskName, inst.Version, inst.Bizdate, inst.Attempt)

	out := r.run(ctx, inst, lw)
	if out.State == "" {
		out.State = meta.StateSuccess
	}
	switch out.State {
	case meta.StateSuccess:
		lw.Printf("success in %s, %d rows written", time.Since(start).Round(time.Millisecond), out.Rows)
	case meta.StateKilled:
		lw.Printf("KILLED after %s: %s", time.Since(start).Round(time.Millisecond), out.Error)
	default:
		lw.Printf("FAILED after %s: %s", time.Since(start).Round(time.Millisecond), out.Error)
	}
	return out
}

func (r *Runner) run(ctx context.Context, inst *meta.Instance, lw *logstore.Writer) Outcome {
	ver, err := r.version(ctx, inst.VersionID)
	if err != nil {
		return failed(fmt.Errorf("load task version: %w", err))
	}
	proj, err := r.store.GetProjectByID(ctx, inst.ProjectID)
	if err != nil {
		return failed(fmt.Errorf("load project: %w", err))
	}
	spec := ver.Spec
	pc, err := r.paramContext(proj, &spec, inst)
	if err != nil {
		return failed(err)
	}
	if spec.Timeout > 0 && !spec.TimeoutAlertOnly { // alert-only timeouts are the worker's
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, spec.Timeout.Std(), fmt.Errorf("timed out after %s", spec.Timeout.Std()))
		defer cancel()
	}
	job := &Job{Instance: inst, Spec: &spec, Project: proj, Params: pc, Log: lw, Engines: r.engines}
	var out Outcome
	switch spec.Type {
	case meta.TaskSQLModel:
		out = r.runModel(ctx, inst, &spec, pc, lw)
	case meta.TaskSQLScript:
		out = r.runScript(ctx, inst, &spec, pc, lw)
	case meta.TaskShell, meta.TaskPython:
		out = r.runProcess(ctx, inst, &spec, proj, pc, lw)
	default:
		e, ok := r.executors[spec.Type]
		if !ok {
			return failed(fmt.Errorf("this server cannot run tasks of type %q", spec.Type))
		}
		out = e.Run(ctx, job)
	}
	if out.State == meta.StateSuccess || out.State == "" {
		for _, c := range r.checkers {
			if err := c.Check(ctx, job, &out); err != nil {
				out.State, out.Error = meta.StateFailed, err.Error()
				break
			}
		}
	}
	return interrupted(ctx, out)
}

// Version returns a task version from the runner's cache, which the worker
// shares instead of reading every version a second time.
func (r *Runner) Version(ctx context.Context, id int64) (*meta.Version, error) {
	return r.version(ctx, id)
}

// version loads a task version, once: versions are immutable, and a
// metadata read per run was a good part of a short task's cost.
func (r *Runner) version(ctx context.Context, id int64) (*meta.Version, error) {
	if v, ok := r.versions.Load(id); ok {
		return v.(*meta.Version), nil
	}
	v, err := r.store.GetVersionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	r.versions.Store(id, v)
	return v, nil
}

// interrupted turns a failure caused by a kill or timeout into its real cause.
func interrupted(ctx context.Context, out Outcome) Outcome {
	if out.State == meta.StateSuccess || out.State == "" || ctx.Err() == nil {
		return out
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrKilled) {
		out.State = meta.StateKilled
		out.Error = ErrKilled.Error()
		return out
	}
	out.State = meta.StateFailed
	if cause != nil && !errors.Is(cause, context.Canceled) {
		out.Error = cause.Error() + ": " + out.Error
	}
	return out
}

func (r *Runner) paramContext(proj *meta.Project, spec *meta.TaskSpec, inst *meta.Instance) (*params.Context, error) {
	day, err := time.Parse(time.DateOnly, inst.Bizdate)
	if err != nil {
		return nil, fmt.Errorf("bad bizdate %q: %w", inst.Bizdate, err)
	}
	values := map[string]string{}
	for k, v := range proj.Config.Params {
		values[k] = v
	}
	for k, v := range spec.Params {
		values[k] = v
	}
	for k, v := range inst.Params {
		values[k] = v
	}
	return &params.Context{Bizdate: day, Hour: inst.Hour, Project: proj.Name, Task: spec.Name, DataDir: r.cfg.DataDir, Values: values}, nil
}

func (r *Runner) engineFor(ctx context.Context, inst *meta.Instance, spec *meta.TaskSpec) (engine.Engine, error) {
	name := spec.Engine
	if name == "" {
		p, err := r.store.GetProjectByID(ctx, inst.ProjectID)
		if err != nil {
			return nil, err
		}
		name = p.DefaultEngine
	}
	if name == "" {
		return nil, errors.New("the task names no engine and the project has no default engine")
	}
	return r.engines.Engine(ctx, inst.ProjectID, name)
}

func (r *Runner) runModel(ctx context.Context, inst *meta.Instance, spec *meta.TaskSpec, pc *params.Context, lw *logstore.Writer) Outcome {
	sel, err := params.Render(spec.SQL, pc)
	if err != nil {
		return failed(err)
	}
	sel = strings.TrimRight(strings.TrimSpace(sel), ";")
	target, err := params.Render(spec.Target, pc)
	if err != nil {
		return failed(err)
	}
	// The period value: the partition an overwrite_partition run replaces,
	// or the _kiln_period tag of an append run.
	value, err := params.Render(cmp.Or(spec.PartitionValue, "${bizdate}"), pc)
	if err != nil {
		return failed(err)
	}
	rendered := sel
	lw.Printf("rendered SQL (%s into %s):\n%s", spec.WriteMode, target, sel)
	eng, err := r.engineFor(ctx, inst, spec)
	if err != nil {
		return Outcome{State: meta.StateFailed, Rendered: rendered, Error: err.Error()}
	}
	res, err := eng.RunModel(ctx, &engine.Model{
		Select: sel, Target: engine.ParseTableRef(target), Mode: spec.WriteMode,
		Partition: spec.PartitionColumn, Value: value, UniqueKey: spec.UniqueKey,
	})
	if res != nil {
		for _, st := range res.Statements {
			lw.Printf("ran on %s: %s", eng.Name(), oneLine(st, 300))
		}
	}
	if err != nil {
		lw.Printf("engine %s error: %v", eng.Name(), err)
		return Outcome{State: meta.StateFailed, Rendered: rendered, Error: err.Error()}
	}
	if res.Created {
		lw.Printf("created table %s", target)
	}
	return Outcome{State: meta.StateSuccess, Rows: res.RowsWritten, Rendered: rendered}
}

func (r *Runner) runScript(ctx context.Context, inst *meta.Instance, spec *meta.TaskSpec, pc *params.Context, lw *logstore.Writer) Outcome {
	text, err := params.Render(spec.SQL, pc)
	if err != nil {
		return failed(err)
	}
	lw.Printf("rendered SQL script:\n%s", text)
	eng, err := r.engineFor(ctx, inst, spec)
	if err != nil {
		return Outcome{State: meta.StateFailed, Rendered: text, Error: err.Error()}
	}
	stmts := splitStatements(text)
	res, err := eng.RunScript(ctx, stmts)
	if err != nil {
		lw.Printf("engine %s error: %v", eng.Name(), err)
		return Outcome{State: meta.StateFailed, Rendered: text, Error: err.Error()}
	}
	lw.Printf("%d statements ran, %d rows affected", res.Statements, res.RowsAffected)
	return Outcome{State: meta.StateSuccess, Rows: res.RowsAffected, Rendered: text}
}

func failed(err error) Outcome {
	return Outcome{State: meta.StateFailed, Error: err.Error()}
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
