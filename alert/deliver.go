package alert

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// hold keeps a message for its group window, or until quiet hours end for
// a non-core alert.
func (n *Notifier) hold(proj *meta.Project, channels []string, msg *Message, core bool, now time.Time) {
	cfg := proj.Config.Alerts
	due := now.Add(cmp.Or(cfg.GroupWindow.Std(), DefaultGroupWindow))
	if cfg.GroupWindow < 0 {
		due = now
	}
	if !core {
		due = n.afterQuiet(cfg, due)
	}
	n.mu.Lock()
	n.held = append(n.held, &held{project: proj, channels: channels, msg: msg, due: due})
	n.mu.Unlock()
}

// afterQuiet moves t past the project's quiet hours.
func (n *Notifier) afterQuiet(cfg *meta.AlertConfig, t time.Time) time.Time {
	loc := location(cfg)
	for range 24 * 60 / 5 {
		quiet, err := inQuietHours(cfg.QuietHours, t, loc)
		if err != nil || !quiet {
			return t
		}
		t = t.Add(5 * time.Minute).Truncate(5 * time.Minute)
	}
	return t
}

// Tick sends what is due: held alerts (a burst of them to the same
// channels as one message), escalations of unacknowledged core alerts, and
// the on-call reminder.
func (n *Notifier) Tick(ctx context.Context) {
	now := n.cfg.Now()
	n.flush(now)
	projects, err := n.store.ListProjects(ctx)
	if err != nil {
		n.log.Warn("alert tick", "err", err)
		return
	}
	for _, p := range projects {
		if p.Config.Alerts == nil || len(p.Config.Alerts.Channels) == 0 {
			continue
		}
		n.escalate(ctx, p, now)
		n.remind(p, now)
	}
}

func (n *Notifier) flush(now time.Time) {
	n.mu.Lock()
	groups := map[string][]*held{}
	var order []string
	keep := n.held[:0]
	for _, h := range n.held {
		if h.due.After(now) {
			keep = append(keep, h)
			continue
		}
		k := fmt.Sprint(h.project.ID, h.channels)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], h)
	}
	n.held = keep
	n.mu.Unlock()
	for _, k := range order {
		g := groups[k]
		msg := g[0].msg
		if len(g) > 1 {
			msg = grouped(g)
		}
		n.send(g[0].project, g[0].channels, msg)
	}
}

// grouped folds a burst into one message.
func grouped(g []*held) *Message {
	m := &Message{Kind: g[0].msg.Kind, Project: g[0].project.Name, Link: g[0].msg.Link}
	m.Title = fmt.Sprintf("[Kiln %s] %d alerts", m.Project, len(g))
	var lines []string
	seen := map[string]bool{}
	for i, h := range g {
		if i < maxGrouped {
			lines = append(lines, "• "+strings.TrimPrefix(h.msg.Title, "[Kiln "+m.Project+"] "))
		}
		for _, p := range h.msg.Mentions {
			if !seen[p] {
				seen[p] = true
				m.Mentions = append(m.Mentions, p)
			}
		}
	}
	if len(g) > maxGrouped {
		lines = append(lines, fmt.Sprintf("… and %d more", len(g)-maxGrouped))
	}
	lines = append(lines, "first: "+firstLines(g[0].msg.Text, 2, 300))
	m.Text = strings.Join(lines, "\n")
	return m
}

// send queues a message for each channel; it never waits.
func (n *Notifier) send(p *meta.Project, channels []string, msg *Message) {
	for _, c := range p.Config.Alerts.Channels {
		if !containsStr(channels, c.Name) {
			continue
		}
		ch, err := NewChannel(c, n.cfg.Env, n.cfg.Client, n.cfg.Now)
		if err != nil {
			n.log.Warn("alert channel", "project", p.Name, "err", err)
			continue
		}
		select {
		case n.queue <- delivery{ch: ch, msg: msg}:
		default:
			n.log.Warn("alert queue full: message dropped", "project", p.Name, "channel", c.Name, "title", msg.Title)
		}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// deliver sends queued messages, each in its own goroutine so that a slow
// or failing channel delays only itself, retrying with doubling backoff.
func (n *Notifier) deliver(ctx context.Context) {
	sem := make(chan struct{}, 8)
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-n.queue:
			sem <- struct{}{}
			n.wg.Add(1)
			go func() {
				defer func() { <-sem; n.wg.Done() }()
				n.try(ctx, d)
			}()
		}
	}
}

func (n *Notifier) try(ctx context.Context, d delivery) {
	wait := n.cfg.Backoff
	for attempt := 0; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
		err := d.ch.Send(sctx, d.msg)
		cancel()
		if err == nil {
			return
		}
		if attempt >= n.cfg.Retries {
			n.log.Error("alert not delivered", "channel", d.ch.Name(), "title", d.msg.Title, "attempts", attempt+1, "err", err)
			return
		}
		n.log.Warn("alert delivery failed, will retry", "channel", d.ch.Name(), "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, n.cfg.MaxBackoff)
	}
}

// escalate re-sends core alerts nobody acknowledged in time to the
// escalation channels, once.
func (n *Notifier) escalate(ctx context.Context, p *meta.Project, now time.Time) {
	cfg := p.Config.Alerts
	open, err := n.alerts.ListAlerts(ctx, &meta.ListAlertsParams{ProjectID: p.ID, State: meta.AlertOpen})
	if err != nil {
		return
	}
	after := cmp.Or(cfg.EscalateAfter.Std(), DefaultEscalateAfter)
	for _, a := range open {
		if a.Tier != meta.TierCore || a.Escalated || now.Sub(a.FirstAt) < after {
			continue
		}
		if err := n.alerts.TouchAlert(ctx, a.ID, now, true); err != nil {
			continue
		}
		m := &Message{Kind: KindEscalation, Project: p.Name,
			Title: fmt.Sprintf("[Kiln %s] ESCALATED, unacknowledged for %s: %s", p.Name, now.Sub(a.FirstAt).Round(time.Minute),
				strings.TrimPrefix(a.Title, "[Kiln "+p.Name+"] ")),
			Text: a.Text + fmt.Sprintf("\nacknowledge: kiln alert ack %d -p %s", a.ID, p.Name)}
		if a.InstanceID != 0 && n.cfg.BaseURL != "" {
			m.Link = fmt.Sprintf("%s/api/v1/instances/%d", strings.TrimRight(n.cfg.BaseURL, "/"), a.InstanceID)
		}
		if who, err := OnCall(cfg.Rota, now, location(cfg)); err == nil && who != "" {
			m.Mentions = []string{who}
		}
		channels := cfg.Escalate
		if len(channels) == 0 {
			channels = allChannels(cfg)
		}
		n.send(p, channels, m)
	}
}

// remind tells the on-call person once a day, at the rota's remind time.
func (n *Notifier) remind(p *meta.Project, now time.Time) {
	cfg := p.Config.Alerts
	if cfg.Rota == nil || cfg.Rota.Remind == "" {
		return
	}
	at, err := clockTime(cfg.Rota.Remind)
	if err != nil {
		return
	}
	loc := location(cfg)
	lt := now.In(loc)
	day := lt.Format(time.DateOnly)
	if lt.Hour()*60+lt.Minute() < at {
		return
	}
	key := fmt.Sprint(p.ID)
	n.mu.Lock()
	done := n.sent[key] == day
	n.sent[key] = day
	n.mu.Unlock()
	if done {
		return
	}
	who, err := OnCall(cfg.Rota, now, loc)
	if err != nil || who == "" {
		return
	}
	channels := cfg.Rota.Channels
	if len(channels) == 0 {
		channels = allChannels(cfg)
	}
	n.send(p, channels, &Message{Kind: KindReminder, Project: p.Name, Mentions: []string{who},
		Title: fmt.Sprintf("[Kiln %s] on call: %s", p.Name, who),
		Text:  fmt.Sprintf("%s is on call for project %s until the next hand-over at %s.", who, p.Name, cmp.Or(cfg.Rota.Handover, "09:00"))})
}

func allChannels(cfg *meta.AlertConfig) []string {
	var out []string
	for _, c := range cfg.Channels {
		out = append(out, c.Name)
	}
	return out
}
