package pgmeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

const memberSelect = `
	SELECT m.project_id, m.user_id, u.name, m.role, m.created_at
	FROM members m JOIN users u ON u.id = m.user_id`

func scanMember(r scanner) (*meta.Member, error) {
	m := &meta.Member{}
	if err := r.Scan(&m.ProjectID, &m.UserID, &m.UserName, &m.Role, tm{&m.CreatedAt}); err != nil {
		return nil, err
	}
	return m, nil
}

// SetMember adds a member or changes their role.
func (s *Store) SetMember(ctx context.Context, p *meta.SetMemberParams) (*meta.Member, error) {
	what := fmt.Sprintf("member user %d of project %d", p.UserID, p.ProjectID)
	if !p.Role.Valid() {
		return nil, fmt.Errorf("%s: unknown role %q", what, p.Role)
	}
	var m *meta.Member
	err := s.write(ctx, func(tx *Store) error {
		_, err := tx.q().Exec(ctx, `
			INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`,
			p.ProjectID, p.UserID, p.Role, now())
		if err != nil {
			return wrap(err, what)
		}
		m, err = tx.GetMember(ctx, p.ProjectID, p.UserID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMember takes a user out of a project.
func (s *Store) RemoveMember(ctx context.Context, projectID, userID int64) error {
	tag, err := s.q().Exec(ctx, `DELETE FROM members WHERE project_id = $1 AND user_id = $2`, projectID, userID)
	return mustAffect(tag, err, fmt.Sprintf("member user %d of project %d", userID, projectID))
}

// GetMember returns a user's membership of a project.
func (s *Store) GetMember(ctx context.Context, projectID, userID int64) (*meta.Member, error) {
	m, err := scanMember(s.q().QueryRow(ctx, memberSelect+` WHERE m.project_id = $1 AND m.user_id = $2`, projectID, userID))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("member user %d of project %d", userID, projectID))
	}
	return m, nil
}

// ListMembers lists a project's members by user name.
func (s *Store) ListMembers(ctx context.Context, projectID int64) ([]*meta.Member, error) {
	rows, err := s.q().Query(ctx, memberSelect+` WHERE m.project_id = $1 ORDER BY u.name`, projectID)
	ms, err := collect(rows, err, scanMember)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list members of project %d", projectID))
	}
	return ms, nil
}
