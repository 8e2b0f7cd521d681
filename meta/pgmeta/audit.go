package pgmeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

// DefaultAuditLimit is how many entries ListAudit returns when no limit is given.
const DefaultAuditLimit = 100

// AddAudit appends an entry to the audit log and sets its ID, and its time
// when e.At is zero.
func (s *Store) AddAudit(ctx context.Context, e *meta.AuditEntry) error {
	if e.Action == "" {
		return errors.New("add audit: an action is required")
	}
	at := now()
	if !e.At.IsZero() {
		at = ts(e.At)
	}
	var id int64
	err := s.q().QueryRow(ctx, `
		INSERT INTO audit_log (at, user_name, project_id, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		at, e.UserName, e.ProjectID, e.Action, e.Target, e.Detail).Scan(&id)
	if err != nil {
		return wrap(err, fmt.Sprintf("audit %s", e.Action))
	}
	e.ID, e.At = id, at
	return nil
}

// ListAudit lists audit entries newest first.
func (s *Store) ListAudit(ctx context.Context, p *meta.ListAuditParams) ([]*meta.AuditEntry, error) {
	var w where
	if p.ProjectID != 0 {
		w.add("project_id = $%d", p.ProjectID)
	}
	if p.Action != "" {
		w.add("action = $%d", p.Action)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	q := `SELECT id, at, user_name, project_id, action, target, detail FROM audit_log` + w.sql() +
		` ORDER BY id DESC LIMIT ` + w.next(limit)
	rows, err := s.q().Query(ctx, q, w.args...)
	es, err := collect(rows, err, func(r scanner) (*meta.AuditEntry, error) {
		e := &meta.AuditEntry{}
		err := r.Scan(&e.ID, tm{&e.At}, &e.UserName, &e.ProjectID, &e.Action, &e.Target, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, wrap(err, "list audit")
	}
	return es, nil
}

// GetSetting returns a server setting, or ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.q().QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", wrap(err, fmt.Sprintf("setting %q", key))
	}
	return v, nil
}

// PutSetting sets a server setting, replacing any value it had.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.q().Exec(ctx, `
		INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, now())
	return wrap(err, fmt.Sprintf("setting %q", key))
}
