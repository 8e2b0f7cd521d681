// Package worker claims queued instances from the metadata store, runs them
// with a runner under a renewed lease, records their outcome, and recovers
// instances whose worker died.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// Defaults of Config.
const (
	DefaultSlots         = 4
	DefaultPollInterval  = 500 * time.Millisecond
	DefaultLease         = 30 * time.Second
	DefaultRenewInterval = 10 * time.Second
)

// Config tunes a Worker.
type Config struct {
	// Name identifies this worker in leases; default host:pid.
	Name string
	// Slots is how many instances run at once.
	Slots int
	// PollInterval is how often the store is asked for work when nobody wakes us.
	PollInterval time.Duration
	// Lease is how long a claim lasts without renewal.
	Lease time.Duration
	// RenewInterval is how often leases are renewed and expired ones recovered.
	RenewInterval time.Duration
}

// Runner runs one instance.
type Runner interface {
	Run(ctx context.Context, inst *meta.Instance) runner.Outcome
}

// Worker runs instances.
type Worker struct {
	cfg   Config
	store meta.Store
	run   Runner
	bus   *events.Bus
	log   *slog.Logger

	wake    chan struct{}
	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	specs sync.Map // version id → *meta.TaskSpec
}

// New returns a Worker; call Start to run it.
func New(cfg Config, store meta.Store, run Runner, bus *events.Bus, log *slog.Logger) *Worker {
	host, _ := os.Hostname()
	cfg.Name = cmp.Or(cfg.Name, fmt.Sprintf("%s:%d", host, os.Getpid()))
	cfg.Slots = cmp.Or(cfg.Slots, DefaultSlots)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, DefaultPollInterval)
	cfg.Lease = cmp.Or(cfg.Lease, DefaultLease)
	cfg.RenewInterval = cmp.Or(cfg.RenewInterval, DefaultRenewInterval)
	return &Worker{cfg: cfg, store: store, run: run, bus: bus, log: log,
		wake: make(chan struct{}, 1), running: map[int64]context.CancelCauseFunc{}}
}

// Name is the worker's name in leases.
func (w *Worker) Name() string { return w.cfg.Name }

// Start begins claiming and running instances until Stop.
func (w *Worker) Start(ctx context.Context) error {
	ctx, w.cancel = context.WithCancel(ctx)
	w.recoverExpired(ctx)
	w.wg.Add(2)
	go func() { defer w.wg.Done(); w.claimLoop(ctx) }()
	go func() { defer w.wg.Done(); w.leaseLoop(ctx) }()
	return nil
}

// Stop stops claiming, kills what runs (it is requeued by lease recovery or
// the next start) and waits for the loops to end.
func (w *Worker) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// Wake tells the worker that work was queued.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Kill cancels a running instance in this process and reports whether it
// was running here.
func (w *Worker) Kill(id int64) bool {
	w.mu.Lock()
	cancel, ok := w.running[id]
	w.mu.Unlock()
	if ok {
		cancel(runner.ErrKilled)
	}
	return ok
}

func (w *Worker) free() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cfg.Slots - len(w.running)
}

func (w *Worker) claimLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		if n := w.free(); n > 0 {
			now := time.Now().UTC()
			insts, err := w.store.ClaimInstances(ctx, &meta.ClaimParams{Worker: w.cfg.Name, Limit: n,
				LeaseUntil: now.Add(w.cfg.Lease), Now: now})
			if err != nil && ctx.Err() == nil {
				w.log.Error("claim instances", "err", err)
			}
			for _, inst := range insts {
				w.start(ctx, inst)
			}
			if len(insts) == n {
				continue // there may be more
			}
		}
		select {
		case <-ctx.Done():
			w.waitRunning()
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}

// versionReader is a Runner that caches task versions.
type versionReader interface {
	Version(ctx context.Context, id int64) (*meta.Version, error)
}

// spec returns the task spec of a version, cached (versions never change).
func (w *Worker) spec(ctx context.Context, versionID int64) *meta.TaskSpec {
	if s, ok := w.specs.Load(versionID); ok {
		return s.(*meta.TaskSpec)
	}
	get := w.store.GetVersionByID
	if vr, ok := w.run.(versionReader); ok {
		get = vr.Version // the runner has read it already
	}
	v, err := get(ctx, versionID)
	if err != nil {
		return &meta.TaskSpec{}
	}
	w.specs.Store(versionID, &v.Spec)
	return &v.Spec
}

func (w *Worker) waitRunning() {
	for {
		w.mu.Lock()
		n := len(w.running)
		w.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *Worker) start(parent context.Context, inst *meta.Instance) {
	ctx, cancel := context.WithCancelCause(parent)
	w.mu.Lock()
	w.running[inst.ID] = cancel
	w.mu.Unlock()
	w.bus.Publish(events.Event{Kind: events.InstanceStarted, Instance: *inst})
	go func() {
		defer func() {
			w.mu.Lock()
			delete(w.running, inst.ID)
			w.mu.Unlock()
			cancel(nil)
			w.Wake() // a slot is free
		}()
		defer w.alertOnTimeout(inst)()
		out := w.run.Run(ctx, inst)
		if parent.Err() != nil && out.State != meta.StateSuccess {
			// Shutting down: leave the instance running; its lease expires
			// and recovery requeues it.
			return
		}
		w.finish(inst, out)
	}()
}

func (w *Worker) finish(inst *meta.Instance, out runner.Outcome) {
	now := time.Now().UTC()
	spec := w.spec(context.Background(), inst.VersionID)
	p := &meta.TransitionParams{ID: inst.ID, From: []meta.State{meta.StateRunning}, To: out.State,
		EndedAt: &now, RowsWritten: &out.Rows, Rendered: &out.Rendered, Error: &out.Error,
		CPUSeconds: &out.CPUSeconds, ClearLease: true, Worker: w.cfg.Name}
	retry := out.State == meta.StateFailed && inst.Attempt <= spec.Retries
	if retry {
		// Back to the queue, held back by the retry's delay.
		nb := now.Add(spec.RetryDelayFor(inst.Attempt))
		p.To, p.NotBefore = meta.StateQueued, &nb
	}
	// The store may be briefly unavailable; the outcome must not be lost.
	var done *meta.Instance
	var err error
	for try := 0; try < 5; try++ {
		done, err = w.store.TransitionInstance(context.Background(), p)
		if err == nil || errors.Is(err, meta.ErrConflict) {
			break
		}
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
	switch {
	case errors.Is(err, meta.ErrConflict):
		w.log.Info("instance changed while running; outcome dropped", "instance", inst.ID, "outcome", out.State)
		return
	case err != nil:
		w.log.Error("record instance outcome", "instance", inst.ID, "err", err)
		return
	}
	w.log.Info("instance finished", "instance", inst.ID, "task", inst.TaskName, "bizdate", inst.Bizdate, "state", out.State, "retry", retry)
	if strings.HasPrefix(out.Error, "timed out") {
		w.bus.Publish(events.Event{Kind: events.InstanceTimedOut, Instance: *done})
	}
	switch {
	case retry:
		w.bus.Publish(events.Event{Kind: events.InstanceRetried, Instance: *done})
	case out.State == meta.StateFailed:
		w.bus.Publish(events.Event{Kind: events.InstanceFailed, Instance: *done})
	}
	w.bus.Publish(events.Event{Kind: events.InstanceFinished, Instance: *done})
	if done.State == meta.StateSuccess || retry {
		w.Wake() // downstream instances may be queued now
	}
}

func (w *Worker) leaseLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.RenewInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.renew(ctx)
		w.recoverExpired(ctx)
	}
}

func (w *Worker) renew(ctx context.Context) {
	w.mu.Lock()
	ids := make([]int64, 0, len(w.running))
	for id := range w.running {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	held, err := w.store.RenewLeases(ctx, w.cfg.Name, ids, time.Now().UTC().Add(w.cfg.Lease))
	if err != nil {
		w.log.Error("renew leases", "err", err)
		return
	}
	if held == len(ids) {
		return
	}
	// Someone took an instance from us (killed, marked, recovered): stop it.
	for _, id := range ids {
		inst, err := w.store.GetInstance(ctx, id)
		if err == nil && (inst.State != meta.StateRunning || inst.Worker != w.cfg.Name) {
			w.Kill(id)
		}
	}
}

// recoverExpired requeues running instances whose worker stopped renewing
// its lease (it crashed), or fails them when they are out of retries.
func (w *Worker) recoverExpired(ctx context.Context) {
	// Everything running whose lease ends within a lease from now: the
	// expired ones, and those of a dead worker on this machine (a crash and
	// restart), which need not wait for their lease to run out.
	now := time.Now().UTC()
	expired, err := w.store.ExpiredLeases(ctx, now.Add(w.cfg.Lease+time.Minute))
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("list expired leases", "err", err)
		}
		return
	}
	for _, inst := range expired {
		switch {
		case inst.LeaseUntil != nil && inst.LeaseUntil.Before(now):
			w.recoverOne(ctx, inst, now)
		case inst.Worker != w.cfg.Name && deadLocalWorker(inst.Worker):
			w.recoverOne(ctx, inst, meta.HeldUntil)
		}
	}
}

// recoverOne requeues, with its retry delay, or fails an instance whose
// worker stopped renewing its lease. The move is conditional on the lease
// still being expired, so a worker that renewed meanwhile keeps it.
func (w *Worker) recoverOne(ctx context.Context, inst *meta.Instance, expiredBefore time.Time) {
	spec := w.spec(ctx, inst.VersionID)
	now := time.Now().UTC()
	p := &meta.TransitionParams{ID: inst.ID, From: []meta.State{meta.StateRunning}, ClearLease: true, LeaseExpiredBefore: &expiredBefore,
		Worker: inst.Worker}
	if inst.Attempt <= spec.Retries {
		msg := fmt.Sprintf("worker %s stopped renewing its lease; requeued", inst.Worker)
		nb := now.Add(spec.RetryDelayFor(inst.Attempt))
		p.To, p.Error, p.NotBefore = meta.StateQueued, &msg, &nb
	} else {
		msg := fmt.Sprintf("worker %s stopped renewing its lease and the task has no retries left", inst.Worker)
		p.To, p.Error, p.EndedAt = meta.StateFailed, &msg, &now
	}
	done, err := w.store.TransitionInstance(ctx, p)
	if err != nil {
		return
	}
	w.log.Warn("recovered instance", "instance", inst.ID, "to", p.To, "worker", inst.Worker)
	if p.To == meta.StateQueued {
		w.bus.Publish(events.Event{Kind: events.InstanceRetried, Instance: *done})
		w.Wake()
	} else {
		w.bus.Publish(events.Event{Kind: events.InstanceFailed, Instance: *done})
	}
}

// alertOnTimeout publishes instance.timed_out when an instance of a task
// with timeout_alert_only runs past its timeout, and lets it run on. The
// returned function stops the timer.
func (w *Worker) alertOnTimeout(inst *meta.Instance) func() {
	spec := w.spec(context.Background(), inst.VersionID)
	if !spec.TimeoutAlertOnly || spec.Timeout <= 0 {
		return func() {}
	}
	t := time.AfterFunc(spec.Timeout.Std(), func() {
		w.log.Warn("instance ran past its timeout; alert only", "instance", inst.ID, "task", inst.TaskName, "timeout", spec.Timeout.Std())
		w.bus.Publish(events.Event{Kind: events.InstanceTimedOut, Instance: *inst})
	})
	return func() { t.Stop() }
}
