package secret

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBox_SealOpen(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(KeyEnv, "")
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	sealed, err := b.Seal("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if string(sealed) == "s3cret" {
		t.Fatal("not encrypted")
	}
	b2, err := Load(dir) // same key from the file
	if err != nil {
		t.Fatal(err)
	}
	got, err := b2.Open(sealed)
	if err != nil || got != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if s, _ := b.Seal(""); s != nil {
		t.Fatal("empty should seal to nil")
	}

	other, _ := New(make([]byte, 32))
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("wrong key opened the secret")
	}
}

func TestLoad_BadEnvKey(t *testing.T) {
	t.Setenv(KeyEnv, "not base64!")
	if _, err := Load(t.TempDir()); err == nil {
		t.Fatal("want error for a bad key")
	}
	t.Setenv(KeyEnv, "c2hvcnQ=")
	if _, err := Load(t.TempDir()); err == nil {
		t.Fatal("want error for a short key")
	}
}
