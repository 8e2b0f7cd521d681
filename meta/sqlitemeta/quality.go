package sqlitemeta

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.QualityStore = (*Store)(nil)

// DefaultQualityLimit is how many results ListQualityResults returns when no limit is given.
const DefaultQualityLimit = 100

// AddQualityResult records one rule run and sets its ID and time.
func (s *Store) AddQualityResult(ctx context.Context, r *meta.QualityResult) error {
	sample, err := jsonText(r.Sample)
	if err != nil {
		return fmt.Errorf("quality result sample: %w", err)
	}
	if r.Sample == nil {
		sample = "[]"
	}
	at := now()
	var metric any
	if r.Metric != nil {
		metric = *r.Metric
	}
	err = s.w().QueryRowContext(ctx, `
		INSERT INTO quality_results (project_id, task_name, instance_id, bizdate, table_name, rule, check_kind,
			column_name, severity, metric, threshold, verdict, message, sample, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.ProjectID, r.Task, r.InstanceID, r.Bizdate, r.Table, r.Rule, string(r.Check), r.Column, string(r.Severity),
		metric, r.Threshold, string(r.Verdict), r.Message, sample, fmtTime(at)).Scan(&r.ID)
	if err != nil {
		return wrap(err, fmt.Sprintf("quality result of rule %s", r.Rule))
	}
	r.CreatedAt = at
	return nil
}

// ListQualityResults lists results newest period first.
func (s *Store) ListQualityResults(ctx context.Context, p *meta.ListQualityResultsParams) ([]*meta.QualityResult, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if p.ProjectID != 0 {
		add("project_id = ?", p.ProjectID)
	}
	if p.Table != "" {
		add("table_name = ?", p.Table)
	}
	if p.Task != "" {
		add("task_name = ?", p.Task)
	}
	if p.Rule != "" {
		add("rule = ?", p.Rule)
	}
	if p.InstanceID != 0 {
		add("instance_id = ?", p.InstanceID)
	}
	if p.BizdateBefore != "" {
		add("bizdate < ?", p.BizdateBefore)
	}
	q := `SELECT id, project_id, task_name, instance_id, bizdate, table_name, rule, check_kind, column_name,
		severity, metric, threshold, verdict, message, sample, created_at FROM quality_results`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultQualityLimit
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY bizdate DESC, id DESC LIMIT ?`, append(args, limit)...)
	rs, err := collect(rows, err, func(r scanner) (*meta.QualityResult, error) {
		x := &meta.QualityResult{}
		var metric sql.NullFloat64
		err := r.Scan(&x.ID, &x.ProjectID, &x.Task, &x.InstanceID, &x.Bizdate, &x.Table, &x.Rule, (*string)(&x.Check),
			&x.Column, (*string)(&x.Severity), &metric, &x.Threshold, (*string)(&x.Verdict), &x.Message,
			jsonCol{&x.Sample}, tm{&x.CreatedAt})
		if len(x.Sample) == 0 {
			x.Sample = nil // stored as [] either way
		}
		if metric.Valid {
			x.Metric = &metric.Float64
		}
		return x, err
	})
	if err != nil {
		return nil, wrap(err, "list quality results")
	}
	return rs, nil
}

// AddQualityRule saves a rule added through the API and sets its ID and time.
func (s *Store) AddQualityRule(ctx context.Context, r *meta.StoredQualityRule) error {
	body, err := jsonText(r.Rule)
	if err != nil {
		return err
	}
	at := now()
	err = s.w().QueryRowContext(ctx, `
		INSERT INTO quality_rules (project_id, task_name, rule, created_by, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, r.ProjectID, r.Rule.Task, body, r.CreatedBy, fmtTime(at)).Scan(&r.ID)
	if err != nil {
		return wrap(err, fmt.Sprintf("quality rule %s", r.Rule.Name))
	}
	r.CreatedAt = at
	return nil
}

// ListQualityRules lists a project's API rules by ID, of one task when task is set.
func (s *Store) ListQualityRules(ctx context.Context, projectID int64, task string) ([]*meta.StoredQualityRule, error) {
	q := `SELECT id, project_id, rule, created_by, created_at FROM quality_rules WHERE project_id = ?`
	args := []any{projectID}
	if task != "" {
		q, args = q+` AND task_name = ?`, append(args, task)
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY id`, args...)
	rs, err := collect(rows, err, func(r scanner) (*meta.StoredQualityRule, error) {
		x := &meta.StoredQualityRule{}
		return x, r.Scan(&x.ID, &x.ProjectID, jsonCol{&x.Rule}, &x.CreatedBy, tm{&x.CreatedAt})
	})
	if err != nil {
		return nil, wrap(err, "list quality rules")
	}
	return rs, nil
}

// UpdateQualityRule replaces the body of an API rule of the project.
func (s *Store) UpdateQualityRule(ctx context.Context, projectID, id int64, rule *meta.QualityRule) error {
	body, err := jsonText(rule)
	if err != nil {
		return err
	}
	res, err := s.w().ExecContext(ctx, `UPDATE quality_rules SET task_name = ?, rule = ? WHERE project_id = ? AND id = ?`,
		rule.Task, body, projectID, id)
	return mustAffect(res, err, fmt.Sprintf("quality rule %d", id))
}

// DeleteQualityRule deletes an API rule of the project.
func (s *Store) DeleteQualityRule(ctx context.Context, projectID, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM quality_rules WHERE project_id = ? AND id = ?`, projectID, id)
	return mustAffect(res, err, fmt.Sprintf("quality rule %d", id))
}

var _ meta.AlertStore = (*Store)(nil)

// CreateAlert saves a new alert and sets its ID.
func (s *Store) CreateAlert(ctx context.Context, a *meta.Alert) error {
	if a.FirstAt.IsZero() {
		a.FirstAt = now()
	}
	if a.LastAt.IsZero() {
		a.LastAt = a.FirstAt
	}
	a.State = cmpState(a.State)
	a.Count = max(a.Count, 1)
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO alerts (project_id, key, kind, task_name, bizdate, instance_id, tier, title, body, state, count,
			escalated, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.ProjectID, a.Key, a.Kind, a.Task, a.Bizdate, a.InstanceID, string(a.Tier), a.Title, a.Text, string(a.State),
		a.Count, a.Escalated, fmtTime(a.FirstAt), fmtTime(a.LastAt)).Scan(&a.ID)
	a.FirstAt, a.LastAt = a.FirstAt.UTC().Truncate(time.Microsecond), a.LastAt.UTC().Truncate(time.Microsecond)
	return wrap(err, "alert "+a.Key)
}

func cmpState(s meta.AlertState) meta.AlertState {
	if s == "" {
		return meta.AlertOpen
	}
	return s
}

// TouchAlert counts a repeat of an alert and records an escalation.
func (s *Store) TouchAlert(ctx context.Context, id int64, at time.Time, escalated bool) error {
	res, err := s.w().ExecContext(ctx, `UPDATE alerts SET count = count + 1, last_at = ?, escalated = escalated OR ? WHERE id = ?`,
		fmtTime(at), escalated, id)
	return mustAffect(res, err, fmt.Sprintf("alert %d", id))
}

const alertCols = `id, project_id, key, kind, task_name, bizdate, instance_id, tier, title, body, state, count,
	escalated, first_at, last_at, acked_by, acked_at`

func scanAlert(r scanner) (*meta.Alert, error) {
	a := &meta.Alert{}
	err := r.Scan(&a.ID, &a.ProjectID, &a.Key, &a.Kind, &a.Task, &a.Bizdate, &a.InstanceID, (*string)(&a.Tier), &a.Title,
		&a.Text, (*string)(&a.State), &a.Count, &a.Escalated, tm{&a.FirstAt}, tm{&a.LastAt}, &a.AckedBy, tmNull{&a.AckedAt})
	return a, err
}

// GetAlert returns an alert by ID.
func (s *Store) GetAlert(ctx context.Context, id int64) (*meta.Alert, error) {
	a, err := scanAlert(s.r().QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("alert %d", id))
	}
	return a, nil
}

// ListAlerts lists alerts newest first.
func (s *Store) ListAlerts(ctx context.Context, p *meta.ListAlertsParams) ([]*meta.Alert, error) {
	var where []string
	var args []any
	if p.ProjectID != 0 {
		where, args = append(where, "project_id = ?"), append(args, p.ProjectID)
	}
	if p.State != "" {
		where, args = append(where, "state = ?"), append(args, string(p.State))
	}
	if p.Key != "" {
		where, args = append(where, "key = ?"), append(args, p.Key)
	}
	q := `SELECT ` + alertCols + ` FROM alerts`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultQualityLimit
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	as, err := collect(rows, err, scanAlert)
	if err != nil {
		return nil, wrap(err, "list alerts")
	}
	return as, nil
}

// AckAlert acknowledges an alert of the project.
func (s *Store) AckAlert(ctx context.Context, projectID, id int64, user string, at time.Time) (*meta.Alert, error) {
	res, err := s.w().ExecContext(ctx, `UPDATE alerts SET state = 'acked', acked_by = ?, acked_at = ? WHERE project_id = ? AND id = ?`,
		user, fmtTime(at), projectID, id)
	if err := mustAffect(res, err, fmt.Sprintf("alert %d", id)); err != nil {
		return nil, err
	}
	return s.GetAlert(ctx, id)
}

// AddSilence saves a silence and sets its ID and time.
func (s *Store) AddSilence(ctx context.Context, x *meta.Silence) error {
	at := now()
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO silences (project_id, task_name, kind, until, reason, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.ProjectID, x.Task, x.Kind, fmtTime(x.Until), x.Reason, x.CreatedBy, fmtTime(at)).Scan(&x.ID)
	x.CreatedAt, x.Until = at, x.Until.UTC().Truncate(time.Microsecond)
	return wrap(err, "silence")
}

// ListSilences lists a project's silences in force at time at, by ID.
func (s *Store) ListSilences(ctx context.Context, projectID int64, at time.Time) ([]*meta.Silence, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT id, project_id, task_name, kind, until, reason, created_by, created_at
		FROM silences WHERE project_id = ? AND until > ? ORDER BY id`, projectID, fmtTime(at))
	xs, err := collect(rows, err, func(r scanner) (*meta.Silence, error) {
		x := &meta.Silence{}
		return x, r.Scan(&x.ID, &x.ProjectID, &x.Task, &x.Kind, tm{&x.Until}, &x.Reason, &x.CreatedBy, tm{&x.CreatedAt})
	})
	if err != nil {
		return nil, wrap(err, "list silences")
	}
	return xs, nil
}

// DeleteSilence ends a silence of the project.
func (s *Store) DeleteSilence(ctx context.Context, projectID, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM silences WHERE project_id = ? AND id = ?`, projectID, id)
	return mustAffect(res, err, fmt.Sprintf("silence %d", id))
}
