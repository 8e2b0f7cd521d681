package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/meta"
)

// AlertSettings is a project's alert configuration (channels, policies,
// rota, quiet hours, windows) as the settings page edits it. Channels name
// the server's environment variables that hold their secrets; Env says
// which of those are set on this server, never their values.
type AlertSettings struct {
	Config meta.AlertConfig `json:"config"`
	Env    map[string]bool  `json:"env"`
	// Version identifies the stored settings (also the response's ETag).
	// A PUT with If-Match: "<version>" is refused with 412 when the
	// settings changed since, so two people editing at once do not
	// overwrite each other's change unseen.
	Version string `json:"version"`
}

// OnCallNow is who is on call now and the next hand-overs of the rota.
type OnCallNow struct {
	Timezone string        `json:"timezone"`
	Person   string        `json:"person,omitempty"` // empty: no rota
	Shifts   []alert.Shift `json:"shifts"`           // the shift in progress first
}

// ChannelTestResult says whether a test message went through a channel.
type ChannelTestResult struct {
	Channel string `json:"channel"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"` // the channel's answer, secrets redacted
	Ms      int64  `json:"ms"`
}

// PoolInfo is one pool of a project: its slots (0: unlimited) and what it
// holds now.
type PoolInfo struct {
	Name string `json:"name"` // empty: instances of tasks that name no pool
	// Slots is the most instances running at once; 0 means unlimited.
	Slots int `json:"slots"`
	// Configured is true when the project sets the pool's slots (kiln.yaml
	// pools: or the console); false for the built-in duckdb default and
	// for pools only seen in use.
	Configured bool `json:"configured"`
	Running    int  `json:"running"`
	Queued     int  `json:"queued"`
}

// SetPoolRequest sets a pool's slots.
type SetPoolRequest struct {
	Slots int `json:"slots"`
}

func (s *Server) registerProjectConfigRoutes() {
	base := "/api/v1/projects/{project}"
	s.add(&route{method: "GET", path: base + "/alerts/config", tag: "alerts",
		summary: "Alert settings: channels (secrets are names of server environment variables, with whether each is set), policies, rota, quiet hours, windows",
		scope:   scopeProject, act: meta.ActRead, out: AlertSettings{}, h: s.getAlertConfig})
	s.add(&route{method: "PUT", path: base + "/alerts/config", tag: "alerts",
		summary: "Replace the alert settings (owners); checked like kiln.yaml's alerts: section. With the server's project folder, also written into its kiln.yaml; otherwise a later kiln apply with an alerts: section replaces them. With If-Match: \"<version>\" (the version or ETag of a GET), a change saved since is refused with 412 alert_settings_changed",
		scope:   scopeProject, act: meta.ActManageMembers, in: meta.AlertConfig{}, out: AlertSettings{}, h: s.putAlertConfig})
	s.add(&route{method: "GET", path: base + "/alerts/oncall", tag: "alerts", summary: "Who is on call now by the rota, and the next hand-overs",
		scope: scopeProject, act: meta.ActRead, query: []param{{"next", "integer", "hand-overs after the current shift (default 5, at most 50)"}}, out: OnCallNow{}, h: s.getOnCall})
	s.add(&route{method: "POST", path: base + "/alerts/channels/{name}/test", tag: "alerts", summary: "Send a test message through one channel now (owners)",
		scope: scopeProject, act: meta.ActManageMembers, out: ChannelTestResult{}, h: s.testChannel})
	s.add(&route{method: "GET", path: base + "/pools", tag: "console", summary: "Pools with their slots and running and queued instances now",
		scope: scopeProject, act: meta.ActRead, out: []PoolInfo{}, h: s.listPools})
	s.add(&route{method: "PUT", path: base + "/pools/{pool}", tag: "console", summary: "Set a pool's slots (owners); the scheduler uses them at once",
		scope: scopeProject, act: meta.ActManageMembers, in: SetPoolRequest{}, out: PoolInfo{}, h: s.setPool})
	s.add(&route{method: "DELETE", path: base + "/pools/{pool}", tag: "console", summary: "Remove a pool's slots (owners): unlimited again (duckdb: back to its default)",
		scope: scopeProject, act: meta.ActManageMembers, h: s.deletePool})
}

// alertVersion is a digest of the stored settings.
func alertVersion(cfg *meta.AlertConfig) string {
	b, _ := json.Marshal(cfg) // plain data: it marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ifMatch is the version an If-Match header names ("" when there is none).
func ifMatch(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

// writeAlertSettings answers with the settings and their version as ETag.
func writeAlertSettings(w http.ResponseWriter, out AlertSettings) {
	w.Header().Set("ETag", `"`+out.Version+`"`)
	writeJSON(w, http.StatusOK, out)
}

func alertSettings(cfg *meta.AlertConfig) AlertSettings {
	out := AlertSettings{Env: map[string]bool{}, Version: alertVersion(cfg)}
	if cfg != nil {
		out.Config = *cfg
	}
	for _, c := range out.Config.Channels {
		for _, name := range []string{c.URLEnv, c.SecretEnv, c.UsernameEnv, c.PasswordEnv} {
			if name != "" {
				_, out.Env[name] = os.LookupEnv(name)
			}
		}
	}
	out.Config.Channels, out.Config.Policies = nonNil(out.Config.Channels), nonNil(out.Config.Policies)
	return out
}

func (s *Server) getAlertConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	out := alertSettings(c.project.Config.Alerts)
	if s.checkRole(r.Context(), c, meta.ActManageMembers) != nil {
		// A chat bot's URL is its credential (Slack's path, DingTalk's
		// access_token): those who may not change the settings see where
		// it goes, not the URL.
		chs := make([]meta.AlertChannel, len(out.Config.Channels))
		for i, ch := range out.Config.Channels {
			ch.URL = maskURL(ch.URL)
			chs[i] = ch
		}
		out.Config.Channels = chs
	}
	writeAlertSettings(w, out)
	return nil
}

// maskURL keeps a URL's scheme and host: https://hooks.slack.com/…
func maskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// updateConfig changes a project's config in one transaction, reading it
// afresh so that two edits of different parts do not undo each other.
func (s *Server) updateConfig(ctx context.Context, projectID int64, change func(*meta.Config) error) (*meta.Project, error) {
	var out *meta.Project
	err := s.store.InTx(ctx, func(tx meta.Store) error {
		p, err := tx.GetProjectByID(ctx, projectID)
		if err != nil {
			return err
		}
		if err := change(&p.Config); err != nil {
			return err
		}
		out, err = tx.UpdateProject(ctx, &meta.UpdateProjectParams{ID: p.ID, Description: p.Description, DefaultEngine: p.DefaultEngine, Config: p.Config})
		return err
	})
	return out, err
}

func (s *Server) putAlertConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	defer s.lockFolder(c.project.Name)() // kiln.yaml is read, changed and written as one
	var req meta.AlertConfig
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := alert.ValidateConfig(&req); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_alerts", Message: "alert settings: " + err.Error()}
	}
	var cfg *meta.AlertConfig
	if len(req.Channels) > 0 || len(req.Policies) > 0 || req.Rota != nil || req.QuietHours != "" || req.Timezone != "" ||
		req.DedupWindow != 0 || req.GroupWindow != 0 || req.EscalateAfter != 0 || len(req.Escalate) > 0 || len(req.Default) > 0 {
		cfg = &req
	}
	want := ifMatch(r)
	var write func() error
	p, err := s.updateConfig(r.Context(), c.project.ID, func(pc *meta.Config) (err error) {
		if want != "" && want != "*" && want != alertVersion(pc.Alerts) {
			return &Error{Status: http.StatusPreconditionFailed, Code: "alert_settings_changed",
				Message: "the alert settings were changed since you loaded them (someone else saved); nothing was saved: load them again and redo your change"}
		}
		pc.Alerts = cfg
		write, err = s.alertsBack(c.project.Name, cfg)
		return err
	})
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	rota := "no rota"
	if req.Rota != nil {
		rota = fmt.Sprintf("rota of %d", len(req.Rota.People))
	}
	s.audit(r.Context(), c.user, c.project.ID, "alert.config", c.project.Name,
		fmt.Sprintf("%d channels, %d policies, %s", len(req.Channels), len(req.Policies), rota))
	writeAlertSettings(w, alertSettings(p.Config.Alerts))
	return nil
}

func (s *Server) getOnCall(w http.ResponseWriter, r *http.Request, c *call) error {
	next, err := queryInt(r, "next", 5)
	if err != nil {
		return err
	}
	if next < 0 || next > 50 {
		return badRequest("next must be between 0 and 50, got %d", next)
	}
	out := OnCallNow{Timezone: "UTC", Shifts: []alert.Shift{}}
	cfg := c.project.Config.Alerts
	if cfg == nil || cfg.Rota == nil {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	out.Timezone = cmp.Or(cfg.Timezone, "UTC")
	loc, err := time.LoadLocation(out.Timezone)
	if err != nil {
		return badRequest("alert settings: timezone: %v", err)
	}
	shifts, err := alert.Shifts(cfg.Rota, time.Now(), loc, next)
	if err != nil {
		return badRequest("alert settings: %v", err)
	}
	if len(shifts) > 0 {
		out.Person, out.Shifts = shifts[0].Person, shifts
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	start := time.Now()
	// Secrets are read from this server's environment, as the notifier
	// (running in the same process) reads them.
	err := alert.SendTest(r.Context(), c.project.Config.Alerts, c.project.Name, name, c.user.Name, os.Getenv, nil)
	if err != nil && toAPIError(err).Status == http.StatusNotFound {
		return err
	}
	res := ChannelTestResult{Channel: name, OK: err == nil, Ms: time.Since(start).Milliseconds()}
	detail := "delivered"
	if err != nil {
		res.Error, detail = err.Error(), "failed: "+err.Error()
	}
	s.audit(r.Context(), c.user, c.project.ID, "alert.test", name, detail)
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) pools(ctx context.Context, p *meta.Project) ([]PoolInfo, error) {
	byName := map[string]*PoolInfo{meta.DuckDBPool: {Name: meta.DuckDBPool, Slots: meta.DefaultDuckDBSlots}}
	for name, slots := range p.Config.Pools {
		byName[name] = &PoolInfo{Name: name, Slots: slots, Configured: true}
	}
	us, err := s.store.PoolUsage(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		x := byName[u.Pool]
		if x == nil {
			x = &PoolInfo{Name: u.Pool}
			byName[u.Pool] = x
		}
		x.Running, x.Queued = u.Running, u.Queued
	}
	out := []PoolInfo{}
	for _, x := range byName {
		out = append(out, *x)
	}
	slices.SortFunc(out, func(a, b PoolInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Server) listPools(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.pools(r.Context(), c.project)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// poolsChanged wakes this process's worker: workers read the caps before
// each claim, and a raised cap may start waiting instances at once.
func (s *Server) poolsChanged() {
	if s.disp != nil {
		s.disp.Wake()
	}
}

func (s *Server) setPool(w http.ResponseWriter, r *http.Request, c *call) error {
	defer s.lockFolder(c.project.Name)() // kiln.yaml is read, changed and written as one
	var req SetPoolRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	name := r.PathValue("pool")
	if err := meta.ValidatePool(name, req.Slots); err != nil {
		return badRequest("%v", err)
	}
	var write func() error
	p, err := s.updateConfig(r.Context(), c.project.ID, func(pc *meta.Config) (err error) {
		if pc.Pools == nil {
			pc.Pools = map[string]int{}
		}
		pc.Pools[name] = req.Slots
		write, err = s.poolsBack(c.project.Name, pc.Pools)
		return err
	})
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	s.poolsChanged()
	s.audit(r.Context(), c.user, c.project.ID, "pool.set", name, fmt.Sprintf("%d slots", req.Slots))
	all, err := s.pools(r.Context(), p)
	if err != nil {
		return err
	}
	for _, x := range all {
		if x.Name == name {
			writeJSON(w, http.StatusOK, x)
			return nil
		}
	}
	return fmt.Errorf("pool %s vanished after it was set", name)
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request, c *call) error {
	defer s.lockFolder(c.project.Name)() // kiln.yaml is read, changed and written as one
	name := r.PathValue("pool")
	var write func() error
	_, err := s.updateConfig(r.Context(), c.project.ID, func(pc *meta.Config) (err error) {
		if _, ok := pc.Pools[name]; !ok {
			return fmt.Errorf("project %s sets no slots for pool %s: %w", c.project.Name, name, meta.ErrNotFound)
		}
		delete(pc.Pools, name)
		if len(pc.Pools) == 0 {
			pc.Pools = nil
		}
		write, err = s.poolsBack(c.project.Name, pc.Pools)
		return err
	})
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	s.poolsChanged()
	s.audit(r.Context(), c.user, c.project.ID, "pool.remove", name, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
