package auth

import (
	"strings"
	"testing"
)

func TestHashPassword_Check(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Fatal("right password rejected")
	}
	for _, bad := range []string{"", "correct horsE", "x"} {
		if CheckPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	if CheckPassword("garbage", "x") {
		t.Fatal("garbage hash accepted")
	}
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) < 40 {
		t.Fatalf("token %q", tok)
	}
	if HashToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatal("hash mismatch")
	}
	tok2, _, _ := NewToken()
	if tok2 == tok {
		t.Fatal("tokens repeat")
	}
}
