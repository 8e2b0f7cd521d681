// Package scheduler turns tasks' cron schedules and dependencies into
// instances: the Planner creates instances ahead of time with their
// dependency edges; the Scheduler runs the planner under a lease (one
// planner across processes) and queues instances when their time comes.
// Readiness by dependencies is resolved by the metadata store itself when
// an upstream instance succeeds (see meta.ScheduleStore), not by rescans.
package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// Defaults of Config.
const (
	DefaultPlanInterval = 10 * time.Minute
	DefaultLeaseTTL     = 10 * time.Second
	DefaultMaxSleep     = 30 * time.Second
	// PlannerLease is the name of the lease the planning process holds.
	PlannerLease = "planner"
)

// Config tunes a Scheduler.
type Config struct {
	// Name identifies this process in the planner lease; default host:pid.
	Name string
	// PlanInterval is how often the planner runs when nothing asks it to.
	PlanInterval time.Duration
	// LeaseTTL is how long the planner lease lasts unrenewed; another
	// process takes over within it after the holder dies.
	LeaseTTL time.Duration
	// MaxSleep bounds how long the promotion loop sleeps without a wake.
	MaxSleep time.Duration
	// GateInterval is how often the leader runs the backfill gate and the
	// deadline watcher (the gate also runs when poked).
	GateInterval time.Duration
	// Bus receives instance.late events; nil: none are published.
	Bus *events.Bus
}

// DefaultGateInterval is how often the backfill gate looks when not poked.
const DefaultGateInterval = 500 * time.Millisecond

// Waker is told when instances were queued: the worker.
type Waker interface{ Wake() }

// Scheduler plans under a lease and promotes due instances.
type Scheduler struct {
	cfg     Config
	store   meta.Store
	ss      meta.ScheduleStore
	Planner *Planner
	wake    Waker
	log     *slog.Logger

	kick, poke, gate chan struct{}
	cancel           context.CancelFunc
	wg               sync.WaitGroup
	mu               sync.Mutex
	leader           bool
}

// New returns a Scheduler; the store must implement meta.ScheduleStore.
func New(cfg Config, store meta.Store, wake Waker, log *slog.Logger) (*Scheduler, error) {
	ss, ok := store.(meta.ScheduleStore)
	if !ok {
		return nil, fmt.Errorf("scheduler: the metadata store %T cannot schedule", store)
	}
	host, _ := os.Hostname()
	cfg.Name = cmp.Or(cfg.Name, fmt.Sprintf("%s:%d", host, os.Getpid()))
	cfg.PlanInterval = cmp.Or(cfg.PlanInterval, DefaultPlanInterval)
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, DefaultLeaseTTL)
	cfg.MaxSleep = cmp.Or(cfg.MaxSleep, DefaultMaxSleep)
	cfg.GateInterval = cmp.Or(cfg.GateInterval, DefaultGateInterval)
	return &Scheduler{cfg: cfg, store: store, ss: ss, Planner: NewPlanner(store, log), wake: wake, log: log,
		kick: make(chan struct{}, 1), poke: make(chan struct{}, 1), gate: make(chan struct{}, 1)}, nil
}

// Start runs the planning and promotion loops until Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.planLoop(ctx) }()
	go func() { defer s.wg.Done(); s.promoteLoop(ctx) }()
	go func() { defer s.wg.Done(); s.opsLoop(ctx) }()
	return nil
}

// Stop ends the loops and gives the planner lease up.
func (s *Scheduler) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	_ = s.ss.ReleaseLease(context.Background(), PlannerLease, s.cfg.Name)
}

// Replan asks for a planning run soon (after an apply, a pause, a resume);
// it happens in whichever process holds the planner lease.
func (s *Scheduler) Replan() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
	select {
	case s.gate <- struct{}{}:
	default:
	}
}

// Poke makes the promotion loop look again (something was planned).
func (s *Scheduler) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Leader reports whether this process holds the planner lease.
func (s *Scheduler) Leader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

func (s *Scheduler) planLoop(ctx context.Context) {
	renew := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer renew.Stop()
	var last time.Time
	pending := true
	for {
		now := time.Now().UTC()
		held, err := s.ss.AcquireLease(ctx, PlannerLease, s.cfg.Name, now.Add(s.cfg.LeaseTTL), now)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("planner lease", "err", err)
		}
		s.mu.Lock()
		if held && !s.leader {
			s.log.Info("took the planner lease", "holder", s.cfg.Name)
			pending = true
		}
		s.leader = held
		s.mu.Unlock()
		if held && (pending || time.Since(last) >= s.cfg.PlanInterval) {
			res, err := s.Planner.Plan(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("plan instances", "err", err)
				}
			} else {
				pending, last = false, time.Now()
				s.log.Info("planned instances", "tasks", res.Tasks, "instances", res.Instances, "created", res.Created, "ms", res.Took.Milliseconds())
				for _, m := range res.Missing {
					s.log.Warn("upstream names no task", "edge", m)
				}
				s.Poke()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
		case <-s.kick:
			pending = true
		}
	}
}

func (s *Scheduler) promoteLoop(ctx context.Context) {
	for {
		n, err := s.ss.PromoteDue(ctx, time.Now().UTC())
		if err != nil && ctx.Err() == nil {
			s.log.Warn("promote due instances", "err", err)
		}
		if n > 0 && s.wake != nil {
			s.wake.Wake()
		}
		sleep := s.cfg.MaxSleep
		if next, err := s.ss.NextDue(ctx); err == nil && next != nil {
			sleep = min(sleep, max(time.Until(*next), time.Millisecond))
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			if s.wake != nil {
				s.wake.Wake() // a retry's delay may be over
			}
		case <-s.poke:
			t.Stop()
		}
	}
}

// opsLoop runs, in the leader only, the backfill gate and the deadline
// watcher: one process releases periods, so Parallel holds across processes.
func (s *Scheduler) opsLoop(ctx context.Context) {
	ops, ok := s.store.(meta.OpsStore)
	if !ok {
		return
	}
	t := time.NewTicker(s.cfg.GateInterval)
	defer t.Stop()
	var lastLate time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.gate:
		}
		if !s.Leader() {
			continue
		}
		now := time.Now().UTC()
		n, err := ReleaseBackfills(ctx, ops, now)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("backfill gate", "err", err)
		}
		if n > 0 {
			s.Poke()
			if s.wake != nil {
				s.wake.Wake()
			}
		}
		if s.cfg.Bus != nil && now.Sub(lastLate) >= 5*time.Second {
			lastLate = now
			if _, err := ReportLate(ctx, ops, s.cfg.Bus, now); err != nil && ctx.Err() == nil {
				s.log.Warn("deadline watcher", "err", err)
			}
			if bw, ok := ops.(meta.BackfillWatchStore); ok {
				if _, err := ReportFinishedBackfills(ctx, bw, s.cfg.Bus, now); err != nil && ctx.Err() == nil {
					s.log.Warn("backfill watcher", "err", err)
				}
			}
		}
	}
}
