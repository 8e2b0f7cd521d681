// Package auth hashes passwords (argon2id) and API tokens (SHA-256 of a
// random 256-bit token), and resolves a request's token to its user.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/kilnhq/kiln/meta"
)

// TokenPrefix starts every Kiln API token so that leaked tokens are easy to
// recognise in logs and secret scanners.
const TokenPrefix = "kiln_"

// ErrUnauthenticated is returned for a missing, unknown or expired token or
// a wrong password.
var ErrUnauthenticated = errors.New("unauthenticated")

// argon2id parameters (RFC 9106's second recommended option, lighter memory).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches an encoded hash from HashPassword.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewToken returns a fresh random token and the hash to store.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token. Tokens are 256 random bits,
// so a fast hash is enough: there is nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticator resolves tokens and passwords against the metadata store.
type Authenticator struct {
	Store meta.Store
}

// UserForToken returns the user a token belongs to.
func (a *Authenticator) UserForToken(ctx context.Context, token string) (*meta.User, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	tok, err := a.Store.GetTokenByHash(ctx, HashToken(token))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	return a.Store.GetUserByID(ctx, tok.UserID)
}

// Login checks a user's password and returns the user.
func (a *Authenticator) Login(ctx context.Context, name, password string) (*meta.User, error) {
	u, err := a.Store.GetUser(ctx, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, ErrUnauthenticated
	}
	return u, nil
}

// RoleIn returns the role a user holds in a project; admins are owners of
// every project. A user who is no member gets ErrNotFound.
func (a *Authenticator) RoleIn(ctx context.Context, u *meta.User, projectID int64) (meta.Role, error) {
	if u.Admin {
		return meta.RoleOwner, nil
	}
	m, err := a.Store.GetMember(ctx, projectID, u.ID)
	if err != nil {
		return "", err
	}
	return m.Role, nil
}
