package sqlitemeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

const userCols = `id, name, email, password_hash, admin, created_at`

func scanUser(r scanner) (*meta.User, error) {
	u := &meta.User{}
	if err := r.Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, tm{&u.CreatedAt}); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser creates a user; a taken name is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, p *meta.CreateUserParams) (*meta.User, error) {
	if p.Name == "" {
		return nil, errors.New("create user: a name is required")
	}
	u, err := scanUser(s.w().QueryRowContext(ctx, `
		INSERT INTO users (name, email, password_hash, admin, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING `+userCols,
		p.Name, p.Email, p.PasswordHash, p.Admin, fmtTime(now())))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("user %q", p.Name))
	}
	return u, nil
}

// GetUser returns the user with the name.
func (s *Store) GetUser(ctx context.Context, name string) (*meta.User, error) {
	u, err := scanUser(s.r().QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("user %q", name))
	}
	return u, nil
}

// GetUserByID returns the user with the id.
func (s *Store) GetUserByID(ctx context.Context, id int64) (*meta.User, error) {
	u, err := scanUser(s.r().QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// ListUsers lists every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]*meta.User, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	us, err := collect(rows, err, scanUser)
	if err != nil {
		return nil, wrap(err, "list users")
	}
	return us, nil
}

const tokenCols = `id, user_id, name, hash, created_at, expires_at, last_used_at`

func scanToken(r scanner) (*meta.Token, error) {
	t := &meta.Token{}
	err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, tm{&t.CreatedAt}, tmNull{&t.ExpiresAt}, tmNull{&t.LastUsedAt})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CreateToken stores a token's hash for a user.
func (s *Store) CreateToken(ctx context.Context, p *meta.CreateTokenParams) (*meta.Token, error) {
	if p.Hash == "" {
		return nil, errors.New("create token: a hash is required")
	}
	t, err := scanToken(s.w().QueryRowContext(ctx, `
		INSERT INTO tokens (user_id, name, hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) RETURNING `+tokenCols,
		p.UserID, p.Name, p.Hash, fmtTime(now()), fmtTimePtr(p.ExpiresAt)))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("token %q of user %d", p.Name, p.UserID))
	}
	return t, nil
}

// GetTokenByHash returns the unexpired token with the hash and touches its
// last-used time, at most once per meta.TokenTouchInterval: every API call
// authenticates, and a write per call would serialize them all.
func (s *Store) GetTokenByHash(ctx context.Context, hash string) (*meta.Token, error) {
	n := now()
	t, err := scanToken(s.r().QueryRowContext(ctx, `
		SELECT `+tokenCols+` FROM tokens
		WHERE hash = ? AND (expires_at IS NULL OR expires_at > ?)`, hash, fmtTime(n)))
	if err != nil {
		return nil, wrap(err, "token (unknown or expired)")
	}
	if t.LastUsedAt == nil || n.Sub(*t.LastUsedAt) >= meta.TokenTouchInterval {
		if _, err := s.w().ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, fmtTime(n), t.ID); err != nil {
			return nil, wrap(err, "touch token")
		}
		t.LastUsedAt = &n
	}
	return t, nil
}

// ListTokens lists a user's tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]*meta.Token, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY id`, userID)
	ts, err := collect(rows, err, scanToken)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list tokens of user %d", userID))
	}
	return ts, nil
}

// DeleteToken deletes a user's token.
func (s *Store) DeleteToken(ctx context.Context, userID, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ?`, id, userID)
	return mustAffect(res, err, fmt.Sprintf("token %d of user %d", id, userID))
}
