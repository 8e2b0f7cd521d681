package sqlitemeta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	at := e.At
	if at.IsZero() {
		at = now()
	}
	var id int64
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO audit_log (at, user_name, project_id, action, target, detail)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		fmtTime(at), e.UserName, e.ProjectID, e.Action, e.Target, e.Detail).Scan(&id)
	if err != nil {
		return wrap(err, fmt.Sprintf("audit %s", e.Action))
	}
	e.ID, e.At = id, at.UTC().Truncate(time.Microsecond)
	return nil
}

// ListAudit lists audit entries newest first.
func (s *Store) ListAudit(ctx context.Context, p *meta.ListAuditParams) ([]*meta.AuditEntry, error) {
	var where []string
	var args []any
	if p.ProjectID != 0 {
		where, args = append(where, "project_id = ?"), append(args, p.ProjectID)
	}
	if p.Action != "" {
		where, args = append(where, "action = ?"), append(args, p.Action)
	}
	q := `SELECT id, at, user_name, project_id, action, target, detail FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
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
	err := s.r().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err != nil {
		return "", wrap(err, fmt.Sprintf("setting %q", key))
	}
	return v, nil
}

// PutSetting sets a server setting, replacing any value it had.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.w().ExecContext(ctx, `
		INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, fmtTime(now()))
	return wrap(err, fmt.Sprintf("setting %q", key))
}
