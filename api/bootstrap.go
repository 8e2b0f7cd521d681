package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/auth"
	"github.com/kilnhq/kiln/meta"
)

// Bootstrap is what the first start created, to be shown once.
type Bootstrap struct {
	Created  bool   // the admin user was created now
	User     string // the admin user's name
	Password string // set when it was generated
	Token    string // set when it was generated or taken from the environment
}

// EnsureAdmin makes sure an admin user exists. On first start it creates
// user "admin" with the given password (or a generated one) and a first
// token: the given one (KILN_ADMIN_TOKEN, for scripted setups) or a new one.
// A given token is registered on later starts too, so the same environment
// keeps working.
func EnsureAdmin(ctx context.Context, store meta.Store, password, token string) (*Bootstrap, error) {
	bs := &Bootstrap{User: "admin"}
	if token != "" && len(token) < 16 {
		return nil, errors.New("KILN_ADMIN_TOKEN must be at least 16 characters")
	}
	err := store.InTx(ctx, func(tx meta.Store) error {
		u, err := tx.GetUser(ctx, bs.User)
		if errors.Is(err, meta.ErrNotFound) {
			if password == "" {
				password, bs.Password = randomSecret(), ""
				bs.Password = password
			}
			hash, err := auth.HashPassword(password)
			if err != nil {
				return err
			}
			if u, err = tx.CreateUser(ctx, &meta.CreateUserParams{Name: bs.User, PasswordHash: hash, Admin: true}); err != nil {
				return err
			}
			bs.Created = true
		} else if err != nil {
			return err
		}
		if token == "" && !bs.Created {
			return nil
		}
		if token == "" {
			tok, _, err := auth.NewToken()
			if err != nil {
				return err
			}
			token = tok
		}
		bs.Token = token
		hash := auth.HashToken(token)
		if _, err := tx.GetTokenByHash(ctx, hash); err == nil {
			return nil
		}
		_, err = tx.CreateToken(ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "bootstrap", Hash: hash})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create admin user: %w", err)
	}
	return bs, nil
}

func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
