package alert

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// Defaults of Config and of a project's alerts: section.
const (
	DefaultRetries       = 5
	DefaultBackoff       = 2 * time.Second
	DefaultMaxBackoff    = 5 * time.Minute
	DefaultQueue         = 1000
	DefaultTick          = time.Second
	DefaultDedupWindow   = 30 * time.Minute
	DefaultGroupWindow   = 30 * time.Second
	DefaultEscalateAfter = 30 * time.Minute
	DefaultSendTimeout   = 10 * time.Second
	maxGrouped           = 10 // alerts listed by name in a grouped message
)

// The alert kinds besides the events package's instance kinds.
const (
	KindBackfillFinished = "backfill.finished"
	KindSyncLagging      = "sync.lagging"
	KindEscalation       = "escalation"
	KindReminder         = "rota.reminder"
	KindTest             = "test"
)

// Config tunes a Notifier.
type Config struct {
	// BaseURL is the server's address, for links to instances.
	BaseURL string
	// Retries is how many times a failed delivery is tried again, waiting
	// Backoff, doubled each time up to MaxBackoff.
	Retries             int
	Backoff, MaxBackoff time.Duration
	// Queue is how many deliveries may wait; beyond it they are dropped and logged.
	Queue int
	// Tick is how often grouped, held-back and unacknowledged alerts are looked at.
	Tick time.Duration
	// Now is the clock (tests pass a fake one); Env reads the server's
	// environment for secrets; Client sends webhooks.
	Now    func() time.Time
	Env    func(string) string
	Client *http.Client
}

// Event is something to tell people about.
type Event struct {
	Kind       string
	ProjectID  int64
	Task       string
	VersionID  int64
	Bizdate    string
	InstanceID int64
	Attempt    int
	Error      string
	Detail     string // extra lines: rule results, lag
}

// Notifier routes events to channels.
type Notifier struct {
	cfg    Config
	store  meta.Store
	alerts meta.AlertStore
	qs     meta.QualityStore // may be nil
	bus    *events.Bus
	log    *slog.Logger

	queue chan delivery
	mu    sync.Mutex
	held  []*held            // alerts waiting for their group window or the end of quiet hours
	sent  map[string]string  // project/day → reminder sent
	stop  context.CancelFunc //
	wg    sync.WaitGroup
}

type held struct {
	project  *meta.Project
	channels []string
	msg      *Message
	due      time.Time
}

type delivery struct {
	ch  Channel
	msg *Message
}

// New returns a Notifier; Start it to follow the bus.
func New(cfg Config, store meta.Store, alerts meta.AlertStore, bus *events.Bus, log *slog.Logger) *Notifier {
	cfg.Retries = cmp.Or(cfg.Retries, DefaultRetries)
	cfg.Backoff = cmp.Or(cfg.Backoff, DefaultBackoff)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, DefaultMaxBackoff)
	cfg.Queue = cmp.Or(cfg.Queue, DefaultQueue)
	cfg.Tick = cmp.Or(cfg.Tick, DefaultTick)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Env == nil {
		cfg.Env = os.Getenv
	}
	if cfg.Client == nil {
		cfg.Client = NewHTTPClient(DefaultSendTimeout)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	qs, _ := store.(meta.QualityStore)
	return &Notifier{cfg: cfg, store: store, alerts: alerts, qs: qs, bus: bus, log: log,
		queue: make(chan delivery, cfg.Queue), sent: map[string]string{}}
}

// Start follows the bus, delivers in the background and ticks.
func (n *Notifier) Start(ctx context.Context) error {
	ctx, n.stop = context.WithCancel(ctx)
	var sub *events.Subscription
	if n.bus != nil {
		sub = n.bus.Subscribe(1024)
	}
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		n.deliver(ctx)
	}()
	go func() {
		defer n.wg.Done()
		if sub != nil {
			defer sub.Close()
		}
		t := time.NewTicker(n.cfg.Tick)
		defer t.Stop()
		var c <-chan events.Event
		if sub != nil {
			c = sub.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-c:
				if ev, ok := fromBus(e); ok {
					if err := n.Notify(ctx, ev); err != nil {
						n.log.Warn("alert", "kind", ev.Kind, "task", ev.Task, "err", err)
					}
				}
			case <-t.C:
				n.Tick(ctx)
			}
		}
	}()
	return nil
}

// Stop ends the background work; queued deliveries are dropped.
func (n *Notifier) Stop() {
	if n.stop != nil {
		n.stop()
	}
	n.wg.Wait()
}

// fromBus picks the events worth an alert.
func fromBus(e events.Event) (*Event, bool) {
	in := e.Instance
	ev := &Event{Kind: string(e.Kind), ProjectID: in.ProjectID, Task: in.TaskName, VersionID: in.VersionID,
		Bizdate: in.Bizdate, InstanceID: in.ID, Attempt: in.Attempt, Error: in.Error}
	switch e.Kind {
	case events.InstanceFinished:
		if in.State != meta.StateFailed {
			return nil, false
		}
		ev.Kind = string(events.InstanceFailed)
	case events.InstanceFailed, events.InstanceRetried, events.InstanceTimedOut, events.InstanceLate, events.QualityBreached:
	case KindBackfillFinished, KindSyncLagging:
	default:
		return nil, false
	}
	return ev, true
}

// Notify records an alert for ev and routes it, unless it is silenced or
// repeats an alert sent within the dedup window.
func (n *Notifier) Notify(ctx context.Context, ev *Event) error {
	proj, err := n.store.GetProjectByID(ctx, ev.ProjectID)
	if err != nil {
		return err
	}
	cfg := proj.Config.Alerts
	if cfg == nil || len(cfg.Channels) == 0 {
		return nil
	}
	now := n.cfg.Now()
	if silenced, err := n.silenced(ctx, ev, now); err != nil || silenced {
		return err
	}
	spec := n.spec(ctx, ev)
	key := ev.Kind + "/" + ev.Task + "/" + ev.Bizdate
	prev, err := n.alerts.ListAlerts(ctx, &meta.ListAlertsParams{ProjectID: proj.ID, Key: key, Limit: 1})
	if err != nil {
		return err
	}
	if len(prev) > 0 && now.Sub(prev[0].LastAt) < cmp.Or(cfg.DedupWindow.Std(), DefaultDedupWindow) {
		return n.alerts.TouchAlert(ctx, prev[0].ID, now, false)
	}
	msg := n.message(ctx, proj, ev, spec)
	a := &meta.Alert{ProjectID: proj.ID, Key: key, Kind: ev.Kind, Task: ev.Task, Bizdate: ev.Bizdate, InstanceID: ev.InstanceID,
		Tier: spec.Tier, Title: msg.Title, Text: msg.Text, FirstAt: now, LastAt: now}
	if err := n.alerts.CreateAlert(ctx, a); err != nil {
		return err
	}
	channels, people := route(cfg, ev, spec)
	msg.Mentions = n.mentions(cfg, spec, people, now)
	n.hold(proj, channels, msg, spec.Tier == meta.TierCore, now)
	return nil
}

func (n *Notifier) silenced(ctx context.Context, ev *Event, now time.Time) (bool, error) {
	xs, err := n.alerts.ListSilences(ctx, ev.ProjectID, now)
	if err != nil {
		return false, err
	}
	for _, x := range xs {
		if (x.Task == "" || x.Task == ev.Task) && (x.Kind == "" || x.Kind == ev.Kind) {
			return true, nil
		}
	}
	return false, nil
}

// spec is the task's definition, for its owner, tier and tags.
func (n *Notifier) spec(ctx context.Context, ev *Event) *meta.TaskSpec {
	if ev.VersionID != 0 {
		if v, err := n.store.GetVersionByID(ctx, ev.VersionID); err == nil {
			return &v.Spec
		}
	}
	if ev.Task != "" {
		if t, err := n.store.GetTask(ctx, ev.ProjectID, ev.Task); err == nil {
			if v, err := n.store.GetVersion(ctx, t.ID, t.CurrentVersion); err == nil {
				return &v.Spec
			}
		}
	}
	return &meta.TaskSpec{Name: ev.Task}
}

// route finds the channels and people of an alert: every matching policy
// adds its own; with none, the default channels (or all).
func route(cfg *meta.AlertConfig, ev *Event, spec *meta.TaskSpec) ([]string, []string) {
	var channels, people []string
	match := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	for _, p := range cfg.Policies {
		tierOK := len(p.Tiers) == 0 || slices.Contains(p.Tiers, spec.Tier)
		tagOK := len(p.Tags) == 0 || slices.ContainsFunc(spec.Tags, func(t string) bool { return slices.Contains(p.Tags, t) })
		if match(p.Tasks, ev.Task) && match(p.Kinds, ev.Kind) && tierOK && tagOK {
			channels = append(channels, p.Channels...)
			people = append(people, p.People...)
		}
	}
	if len(channels) == 0 {
		channels = cfg.Default
	}
	if len(channels) == 0 {
		for _, c := range cfg.Channels {
			channels = append(channels, c.Name)
		}
	}
	slices.Sort(channels)
	return slices.Compact(channels), people
}

// mentions are the people told: the policy's, the owner (by default) and
// whoever is on call.
func (n *Notifier) mentions(cfg *meta.AlertConfig, spec *meta.TaskSpec, people []string, now time.Time) []string {
	out := slices.Clone(people)
	if spec.Owner != "" {
		out = append(out, spec.Owner)
	}
	if who, err := OnCall(cfg.Rota, now, location(cfg)); err == nil && who != "" {
		out = append(out, who)
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(s string) bool { d := seen[s]; seen[s] = true; return d })
}

func location(cfg *meta.AlertConfig) *time.Location {
	loc, err := time.LoadLocation(cmp.Or(cfg.Timezone, "UTC"))
	if err != nil {
		return time.UTC
	}
	return loc
}

var titles = map[string]string{
	string(events.InstanceFailed): "FAILED", string(events.InstanceRetried): "retrying", string(events.InstanceTimedOut): "TIMED OUT",
	string(events.InstanceLate): "LATE (not finished by its deadline)", string(events.QualityBreached): "QUALITY rule breached",
	KindBackfillFinished: "backfill finished", KindSyncLagging: "sync LAGGING",
}

// message writes what a person needs on a phone: what broke, which task
// and period, the error's first lines, the owner and a link.
func (n *Notifier) message(ctx context.Context, proj *meta.Project, ev *Event, spec *meta.TaskSpec) *Message {
	m := &Message{Kind: ev.Kind, Project: proj.Name}
	m.Title = fmt.Sprintf("[Kiln %s] %s %s %s", proj.Name, ev.Task, ev.Bizdate, cmp.Or(titles[ev.Kind], ev.Kind))
	var lines []string
	facts := []string{"owner " + cmp.Or(spec.Owner, "none")}
	if spec.Tier != "" {
		facts = append(facts, "tier "+string(spec.Tier))
	}
	if ev.Attempt > 0 {
		facts = append(facts, fmt.Sprintf("attempt %d", ev.Attempt))
	}
	lines = append(lines, strings.Join(facts, " · "))
	if ev.Error != "" {
		lines = append(lines, "error: "+firstLines(ev.Error, 3, 400))
	}
	if ev.Kind == string(events.QualityBreached) && n.qs != nil && ev.InstanceID != 0 {
		rs, err := n.qs.ListQualityResults(ctx, &meta.ListQualityResultsParams{ProjectID: proj.ID, InstanceID: ev.InstanceID})
		if err == nil {
			for _, r := range rs {
				if r.Verdict == meta.VerdictBreach || r.Verdict == meta.VerdictError {
					lines = append(lines, fmt.Sprintf("%s (%s, %s): %s", r.Rule, r.Severity, r.Verdict, firstLines(r.Message, 1, 200)))
				}
			}
		}
	}
	if ev.Detail != "" {
		lines = append(lines, firstLines(ev.Detail, 5, 600))
	}
	m.Text = strings.Join(lines, "\n")
	if ev.InstanceID != 0 && n.cfg.BaseURL != "" {
		m.Link = fmt.Sprintf("%s/api/v1/instances/%d", strings.TrimRight(n.cfg.BaseURL, "/"), ev.InstanceID)
	}
	return m
}

func firstLines(s string, n, max int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	out := strings.Join(lines, "\n")
	if len(out) > max {
		out = out[:max] + "…"
	}
	return out
}
