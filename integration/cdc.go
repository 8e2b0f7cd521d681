package integration

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// CDC job states.
const (
	CDCStarting  = "starting"
	CDCSnapshot  = "snapshot"
	CDCStreaming = "streaming"
	CDCRetrying  = "retrying" // failed; starts again from the saved position after a delay
	CDCStopped   = "stopped"
)

// cdcState is what a CDC job keeps in the warehouse's _kiln_sync.state,
// committed with the rows it covers.
type cdcState struct {
	// Running says the job should run: a server starting resumes it.
	Running bool `json:"running"`
	// Streaming says the snapshot is in and the binlog is being applied.
	Streaming bool `json:"streaming,omitempty"`
	// File and Pos are the binlog position after the last applied
	// transaction; GTID is MariaDB's GTID position there, when the server
	// has one (resumes prefer it).
	File string `json:"file,omitempty"`
	Pos  uint32 `json:"pos,omitempty"`
	GTID string `json:"gtid,omitempty"`
	// Rows is how many row changes were applied since the snapshot.
	Rows int64 `json:"rows,omitempty"`
}

// CDCStatus is a CDC job as the API shows it.
type CDCStatus struct {
	Project string `json:"project"`
	Task    string `json:"task"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	// File, Pos and GTID are the binlog position applied up to.
	File string `json:"file,omitempty"`
	Pos  uint32 `json:"pos,omitempty"`
	GTID string `json:"gtid,omitempty"`
	// LagSeconds is how old the oldest change not yet applied is (0 when
	// caught up); EventsBehind counts row events read but not yet applied;
	// BytesBehind is the source's binlog end minus the applied position
	// (same file only; -1 when unknown).
	LagSeconds   float64 `json:"lag_seconds"`
	EventsBehind int64   `json:"events_behind"`
	BytesBehind  int64   `json:"bytes_behind"`
	// SnapshotRows and RowsApplied count the snapshot and the binlog
	// changes applied by this run of the job.
	SnapshotRows int64      `json:"snapshot_rows"`
	RowsApplied  int64      `json:"rows_applied"`
	Batches      int64      `json:"batches"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
}

// ErrNotCDC is wrapped when a task is not a cdc sync.
var ErrNotCDC = errors.New("not a cdc sync task")

// CDCConfig tunes the CDC manager.
type CDCConfig struct {
	// BaseDir is the server's data directory.
	BaseDir string
	// RetryMax caps the delay between attempts of a failing job; default 30s.
	RetryMax time.Duration
}

// CDC runs a server's long-running CDC jobs: one goroutine per job,
// started and stopped through the API, resumed when the server starts.
type CDC struct {
	cfg     CDCConfig
	store   meta.Store
	engines runner.Engines
	bus     *events.Bus
	log     *slog.Logger

	mu   sync.Mutex
	ctx  context.Context
	jobs map[string]*cdcJob
	wg   sync.WaitGroup
}

// NewCDC returns a manager; Start it with the server's context.
func NewCDC(cfg CDCConfig, store meta.Store, engines runner.Engines, bus *events.Bus, log *slog.Logger) *CDC {
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 30 * time.Second
	}
	return &CDC{cfg: cfg, store: store, engines: engines, bus: bus, log: log, jobs: map[string]*cdcJob{}}
}

// Start resumes, in the background, every cdc task whose saved state says
// it was running when the server stopped.
func (c *CDC) Start(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	projects, err := c.store.ListProjects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		tasks, err := c.store.ListTasks(ctx, &meta.ListTasksParams{ProjectID: p.ID})
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.Type != meta.TaskSync || t.Removed {
				continue
			}
			spec, err := c.spec(ctx, t)
			if err != nil || spec.Sync == nil || spec.Sync.Mode != meta.SyncCDC {
				continue
			}
			if _, err := c.launch(p, spec, true); err != nil {
				c.log.Warn("cdc: resume", "project", p.Name, "task", t.Name, "err", err)
			}
		}
	}
	return nil
}

// Stop stops every job and waits for them.
func (c *CDC) Stop() {
	c.mu.Lock()
	for _, j := range c.jobs {
		j.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *CDC) spec(ctx context.Context, t *meta.Task) (*meta.TaskSpec, error) {
	v, err := c.store.GetVersion(ctx, t.ID, t.CurrentVersion)
	if err != nil {
		return nil, err
	}
	return &v.Spec, nil
}

// lookup finds a cdc task of a project.
func (c *CDC) lookup(ctx context.Context, project, task string) (*meta.Project, *meta.TaskSpec, error) {
	p, err := c.store.GetProject(ctx, project)
	if err != nil {
		return nil, nil, err
	}
	t, err := c.store.GetTask(ctx, p.ID, task)
	if err != nil {
		return nil, nil, err
	}
	spec, err := c.spec(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	if spec.Type != meta.TaskSync || spec.Sync == nil || spec.Sync.Mode != meta.SyncCDC {
		return nil, nil, fmt.Errorf("task %s: %w (type %s; declare it with type: sync and sync.mode: cdc)", task, ErrNotCDC, spec.Type)
	}
	return p, spec, nil
}

// StartJob starts a CDC job (a no-op when it runs); it resumes from the
// position saved in the warehouse, or snapshots first.
func (c *CDC) StartJob(ctx context.Context, project, task string) (*CDCStatus, error) {
	p, spec, err := c.lookup(ctx, project, task)
	if err != nil {
		return nil, err
	}
	return c.launch(p, spec, false)
}

// StopJob stops a running job and marks it stopped in the warehouse, so a
// server restart leaves it stopped.
func (c *CDC) StopJob(ctx context.Context, project, task string) (*CDCStatus, error) {
	p, spec, err := c.lookup(ctx, project, task)
	if err != nil {
		return nil, err
	}
	k := jobKey(p.ID, spec.Name)
	c.mu.Lock()
	j := c.jobs[k]
	c.mu.Unlock()
	if j == nil {
		return &CDCStatus{Project: p.Name, Task: spec.Name, State: CDCStopped}, nil
	}
	j.stopping.Store(true)
	j.cancel()
	<-j.done
	return j.status(), nil
}

// RestartJob stops a job and starts it again from its saved position.
func (c *CDC) RestartJob(ctx context.Context, project, task string) (*CDCStatus, error) {
	p, spec, err := c.lookup(ctx, project, task)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	j := c.jobs[jobKey(p.ID, spec.Name)]
	c.mu.Unlock()
	if j != nil {
		j.cancel() // not stopping: the saved state stays running
		<-j.done
	}
	return c.launch(p, spec, false)
}

// Status is the state of one job.
func (c *CDC) Status(ctx context.Context, project, task string) (*CDCStatus, error) {
	p, spec, err := c.lookup(ctx, project, task)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	j := c.jobs[jobKey(p.ID, spec.Name)]
	c.mu.Unlock()
	if j == nil {
		return &CDCStatus{Project: p.Name, Task: spec.Name, State: CDCStopped, BytesBehind: -1}, nil
	}
	st := j.status()
	st.BytesBehind = j.bytesBehind(ctx)
	return st, nil
}

// List is the status of every job of a project this server runs.
func (c *CDC) List(project string) []*CDCStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*CDCStatus
	for _, j := range c.jobs {
		if j.project.Name == project {
			out = append(out, j.status())
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Task < out[b].Task })
	return out
}

func jobKey(projectID int64, task string) string { return fmt.Sprintf("%d/%s", projectID, task) }

// launch starts the job's goroutine unless it runs already. auto is a
// server start: the job only continues if its saved state says running.
func (c *CDC) launch(p *meta.Project, spec *meta.TaskSpec, auto bool) (*CDCStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil, fmt.Errorf("cdc: the manager is not started")
	}
	k := jobKey(p.ID, spec.Name)
	if j := c.jobs[k]; j != nil {
		select {
		case <-j.done:
		default:
			if !auto {
				j.auto.Store(false)
			}
			return j.status(), nil
		}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	now := time.Now()
	j := &cdcJob{c: c, project: p, spec: spec, cancel: cancel, done: make(chan struct{})}
	j.auto.Store(auto)
	j.st = CDCStatus{Project: p.Name, Task: spec.Name, State: CDCStarting, StartedAt: &now, BytesBehind: -1}
	c.jobs[k] = j
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(j.done)
		j.loop(ctx)
	}()
	return j.status(), nil
}

// Launch starts a job for a spec no project store holds (benchmarks,
// embedding); ctx bounds the manager's jobs when Start was not called.
// List shows its status.
func (c *CDC) Launch(ctx context.Context, p *meta.Project, spec *meta.TaskSpec) (*CDCStatus, error) {
	c.mu.Lock()
	if c.ctx == nil {
		c.ctx = ctx
	}
	c.mu.Unlock()
	return c.launch(p, spec, false)
}

// runnerJob is the job build() plans from, as for a batch run.
func (j *cdcJob) runnerJob() *runner.Job {
	return &runner.Job{Spec: j.spec, Project: j.project, Engines: j.c.engines}
}

// serverID is the replica id the job registers with: declared, or derived
// from the task so two jobs never share one.
func serverID(spec *meta.SyncSpec, key string) uint32 {
	if spec.ServerID != 0 {
		return spec.ServerID
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return 100000 + h.Sum32()%1000000000
}

// loop runs the job until it is stopped, starting again after failures
// with a growing delay.
func (j *cdcJob) loop(ctx context.Context) {
	c := j.c
	delay := time.Second
	for {
		err := j.run(ctx)
		if ctx.Err() != nil || err == nil {
			j.set(func(s *CDCStatus) { s.State = CDCStopped })
			if j.stopping.Load() {
				j.markStopped()
			}
			return
		}
		if errors.Is(err, errNotRunning) {
			if !j.auto.Load() {
				continue // started through the API meanwhile
			}
			j.set(func(s *CDCStatus) { s.State = CDCStopped })
			return
		}
		c.log.Error("cdc failed", "project", j.project.Name, "task", j.spec.Name, "err", err, "retry_in", delay)
		j.set(func(s *CDCStatus) { s.State, s.Error = CDCRetrying, err.Error() })
		j.publish(events.CDCFailed, err.Error())
		select {
		case <-ctx.Done():
			j.set(func(s *CDCStatus) { s.State = CDCStopped })
			if j.stopping.Load() {
				j.markStopped()
			}
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, c.cfg.RetryMax)
	}
}

func (j *cdcJob) publish(kind events.Kind, msg string) {
	j.c.bus.Publish(events.Event{Kind: kind, Instance: meta.Instance{ProjectID: j.project.ID, TaskName: j.spec.Name, Error: msg}})
}

// markStopped saves running=false, so the next server start leaves the job
// alone.
func (j *cdcJob) markStopped() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x := &Executor{BaseDir: j.c.cfg.BaseDir}
	p, err := x.build(ctx, j.runnerJob())
	if err != nil {
		j.c.log.Warn("cdc: mark stopped", "task", j.spec.Name, "err", err)
		return
	}
	defer p.close()
	err = p.tgt.tx(ctx, func() error {
		st, err := p.tgt.loadState(ctx, p.key)
		if err != nil {
			return err
		}
		if st.CDC == nil {
			st.CDC = &cdcState{}
		}
		st.CDC.Running = false
		return p.tgt.saveState(ctx, p.key, st)
	})
	if err != nil {
		j.c.log.Warn("cdc: mark stopped", "task", j.spec.Name, "err", err)
	}
}
