package api

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/quality"
)

// QualityRuleView is a rule with where it was declared.
type QualityRuleView struct {
	ID     int64            `json:"id,omitempty"` // API rules only
	Source string           `json:"source"`       // "task" (task file or rules file) or "api"
	Task   string           `json:"task"`
	Name   string           `json:"name"`
	Rule   meta.QualityRule `json:"rule"`
}

// SilenceRequest silences a project's alerts for a while.
type SilenceRequest struct {
	Task   string `json:"task,omitempty"`
	Kind   string `json:"kind,omitempty"`
	For    string `json:"for"` // a duration such as "2h"
	Reason string `json:"reason,omitempty"`
}

func (s *Server) registerQualityRoutes() {
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/quality/results", tag: "quality", summary: "Quality rule results, newest period first",
		scope: scopeProject, act: meta.ActRead, out: []meta.QualityResult{},
		query: []param{{"table", "string", "table measured"}, {"task", "string", "task name"}, {"rule", "string", "rule name"},
			{"instance", "integer", "instance id"}, {"limit", "integer", "page size (default 100, at most 1000)"}},
		h: s.listQualityResults})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/quality/rules", tag: "quality", summary: "Quality rules of the project's tasks",
		scope: scopeProject, act: meta.ActRead, out: []QualityRuleView{}, query: []param{{"task", "string", "task name"}}, h: s.listQualityRules})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/quality/rules", tag: "quality", summary: "Add a quality rule to a task",
		scope: scopeProject, act: meta.ActWrite, in: meta.QualityRule{}, out: meta.StoredQualityRule{}, h: s.addQualityRule})
	s.add(&route{method: "PUT", path: "/api/v1/projects/{project}/quality/rules/{id}", tag: "quality", summary: "Change a rule added through the API (same ID; results follow the rule's name)",
		scope: scopeProject, act: meta.ActWrite, in: meta.QualityRule{}, out: meta.StoredQualityRule{}, h: s.updateQualityRule})
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/quality/rules/{id}", tag: "quality", summary: "Delete a rule added through the API",
		scope: scopeProject, act: meta.ActWrite, h: s.deleteQualityRule})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/alerts", tag: "alerts", summary: "Alerts, newest first",
		scope: scopeProject, act: meta.ActRead, out: []meta.Alert{}, query: []param{{"state", "string", "open or acked"}}, h: s.listAlerts})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/alerts/{id}/ack", tag: "alerts", summary: "Acknowledge an alert (stops its escalation)",
		scope: scopeProject, act: meta.ActRun, out: meta.Alert{}, h: s.ackAlert})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/silences", tag: "alerts", summary: "Silences in force",
		scope: scopeProject, act: meta.ActRead, out: []meta.Silence{}, h: s.listSilences})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/silences", tag: "alerts", summary: "Silence alerts of a task or kind for a while",
		scope: scopeProject, act: meta.ActRun, in: SilenceRequest{}, out: meta.Silence{}, h: s.addSilence})
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/silences/{id}", tag: "alerts", summary: "End a silence",
		scope: scopeProject, act: meta.ActRun, h: s.deleteSilence})
}

var errNoQuality = &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "this server keeps no quality rules or alerts"}

func (s *Server) listQualityResults(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.quality == nil {
		return errNoQuality
	}
	q := r.URL.Query()
	p := &meta.ListQualityResultsParams{ProjectID: c.project.ID, Table: q.Get("table"), Task: q.Get("task"), Rule: q.Get("rule")}
	var err error
	if p.Limit, err = queryInt(r, "limit", 100); err != nil {
		return err
	}
	if p.Limit < 1 || p.Limit > 1000 {
		return badRequest("limit must be 1-1000, got %d", p.Limit)
	}
	inst, err := queryInt(r, "instance", 0)
	if err != nil {
		return err
	}
	p.InstanceID = int64(inst)
	rs, err := s.quality.ListQualityResults(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(rs))
	return nil
}

func (s *Server) listQualityRules(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.quality == nil {
		return errNoQuality
	}
	only := r.URL.Query().Get("task")
	tasks, err := s.store.ListTasks(r.Context(), &meta.ListTasksParams{ProjectID: c.project.ID})
	if err != nil {
		return err
	}
	out := []QualityRuleView{}
	for _, t := range tasks {
		if only != "" && t.Name != only {
			continue
		}
		v, err := s.store.GetVersion(r.Context(), t.ID, t.CurrentVersion)
		if err != nil {
			return err
		}
		for _, rule := range v.Spec.Quality {
			out = append(out, QualityRuleView{Source: "task", Task: t.Name, Name: quality.RuleName(&rule), Rule: rule})
		}
	}
	stored, err := s.quality.ListQualityRules(r.Context(), c.project.ID, only)
	if err != nil {
		return err
	}
	for _, st := range stored {
		out = append(out, QualityRuleView{ID: st.ID, Source: "api", Task: st.Rule.Task, Name: quality.RuleName(&st.Rule), Rule: st.Rule})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addQualityRule checks a rule as far as it can before saving it: on its
// own, against its task's other rules, and against the table and sources
// it names when they can be looked at now.
func (s *Server) addQualityRule(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.quality == nil {
		return errNoQuality
	}
	var rule meta.QualityRule
	if err := s.decode(r, &rule); err != nil {
		return err
	}
	if err := s.checkAPIRule(r, c, &rule, 0); err != nil {
		return err
	}
	st := &meta.StoredQualityRule{ProjectID: c.project.ID, Rule: rule, CreatedBy: c.user.Name}
	if err := s.quality.AddQualityRule(r.Context(), st); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "quality.rule.add", rule.Task, quality.RuleName(&rule))
	writeJSON(w, http.StatusCreated, st)
	return nil
}

// updateQualityRule replaces an API rule in place, with the same checks as
// adding one. It keeps the rule's ID; results are stored under the task
// and the rule's name, so a rule whose name stays keeps its history. A
// rule does not move to another task.
func (s *Server) updateQualityRule(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.quality == nil {
		return errNoQuality
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var rule meta.QualityRule
	if err := s.decode(r, &rule); err != nil {
		return err
	}
	stored, err := s.quality.ListQualityRules(r.Context(), c.project.ID, "")
	if err != nil {
		return err
	}
	var old *meta.StoredQualityRule
	for _, st := range stored {
		if st.ID == id {
			old = st
		}
	}
	if old == nil {
		return &Error{Status: http.StatusNotFound, Code: "not_found",
			Message: fmt.Sprintf("quality rule %d not found (only rules added through the API can be changed; rules in task and rules files are changed there)", id)}
	}
	if rule.Task == "" {
		rule.Task = old.Rule.Task
	}
	if rule.Task != old.Rule.Task {
		return badRequest("a rule cannot move from task %s to %s: delete it and add one to %s", old.Rule.Task, rule.Task, rule.Task)
	}
	if err := s.checkAPIRule(r, c, &rule, id); err != nil {
		return err
	}
	if err := s.quality.UpdateQualityRule(r.Context(), c.project.ID, id, &rule); err != nil {
		return err
	}
	old.Rule = rule
	s.audit(r.Context(), c.user, c.project.ID, "quality.rule.change", rule.Task, quality.RuleName(&rule))
	writeJSON(w, http.StatusOK, old)
	return nil
}

// checkAPIRule checks a rule added or changed through the API: on its own,
// among its task's other rules (leaving out the stored rule except, when
// changing it), and against the data it names.
func (s *Server) checkAPIRule(r *http.Request, c *call, rule *meta.QualityRule, except int64) error {
	if rule.Task == "" {
		return badRequest("task is required: the task whose runs the rule follows")
	}
	if err := quality.Validate(rule); err != nil {
		return badRequest("rule %s: %s", quality.RuleName(rule), strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	t, err := s.task(r.Context(), c, rule.Task)
	if err != nil {
		return err
	}
	v, err := s.store.GetVersion(r.Context(), t.ID, t.CurrentVersion)
	if err != nil {
		return err
	}
	all := append([]meta.QualityRule(nil), v.Spec.Quality...)
	stored, err := s.quality.ListQualityRules(r.Context(), c.project.ID, t.Name)
	if err != nil {
		return err
	}
	for _, st := range stored {
		if st.ID != except {
			all = append(all, st.Rule)
		}
	}
	if err := quality.ValidateAll(append(all, *rule)); err != nil {
		return badRequest("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return s.checkRuleData(r, c, &v.Spec, rule)
}

// checkRuleData looks up the columns a rule names in its table, when the
// table exists already, and opens a comparison source.
func (s *Server) checkRuleData(r *http.Request, c *call, spec *meta.TaskSpec, rule *meta.QualityRule) error {
	if s.engines == nil {
		return nil
	}
	if rule.Compare != nil && rule.Compare.Source != "" {
		if _, err := s.engines.Engine(r.Context(), c.project.ID, rule.Compare.Source); err != nil {
			return badRequest("rule %s: comparison source %s cannot be reached: %v", quality.RuleName(rule), rule.Compare.Source, err)
		}
	}
	table := cmp.Or(rule.Table, spec.Target)
	name := cmp.Or(spec.Engine, c.project.DefaultEngine)
	if table == "" || name == "" || strings.Contains(table, "${") {
		return nil
	}
	eng, err := s.engines.Engine(r.Context(), c.project.ID, name)
	if err != nil {
		return nil // the engine is checked when the task runs
	}
	desc, err := eng.Describe(r.Context(), engine.ParseTableRef(table))
	if errors.Is(err, engine.ErrTableNotFound) || err != nil {
		return nil // not built yet: columns are checked at run time
	}
	have := map[string]bool{}
	for _, col := range desc.Columns {
		have[strings.ToLower(col.Name)] = true
	}
	for _, col := range append([]string{rule.Column}, rule.Columns...) {
		if col != "" && !have[strings.ToLower(col)] {
			return badRequest("rule %s: column %s not in table %s", quality.RuleName(rule), col, table)
		}
	}
	return nil
}

func (s *Server) deleteQualityRule(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.quality == nil {
		return errNoQuality
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.quality.DeleteQualityRule(r.Context(), c.project.ID, id); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "quality.rule.delete", strconv.FormatInt(id, 10), "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.alerts == nil {
		return errNoQuality
	}
	st := meta.AlertState(r.URL.Query().Get("state"))
	if st != "" && st != meta.AlertOpen && st != meta.AlertAcked {
		return badRequest("state must be open or acked, got %q", st)
	}
	as, err := s.alerts.ListAlerts(r.Context(), &meta.ListAlertsParams{ProjectID: c.project.ID, State: st})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(as))
	return nil
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.alerts == nil {
		return errNoQuality
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.alerts.AckAlert(r.Context(), c.project.ID, id, c.user.Name, time.Now())
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "alert.ack", strconv.FormatInt(id, 10), "")
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.alerts == nil {
		return errNoQuality
	}
	xs, err := s.alerts.ListSilences(r.Context(), c.project.ID, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(xs))
	return nil
}

func (s *Server) addSilence(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.alerts == nil {
		return errNoQuality
	}
	var req SilenceRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	d, err := time.ParseDuration(req.For)
	if err != nil || d <= 0 {
		return badRequest("for must be a positive duration such as 2h, got %q", req.For)
	}
	x := &meta.Silence{ProjectID: c.project.ID, Task: req.Task, Kind: req.Kind, Until: time.Now().Add(d), Reason: req.Reason, CreatedBy: c.user.Name}
	if err := s.alerts.AddSilence(r.Context(), x); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "alert.silence", cmp.Or(req.Task, "*"), fmt.Sprintf("%s for %s", cmp.Or(req.Kind, "all kinds"), d))
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (s *Server) deleteSilence(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.alerts == nil {
		return errNoQuality
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.alerts.DeleteSilence(r.Context(), c.project.ID, id); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "alert.unsilence", strconv.FormatInt(id, 10), "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
