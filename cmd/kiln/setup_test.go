package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
)

const testToken = "kiln_test_admin_token_0123456789"

// kiln is a running server and a way to call the CLI against it.
type kiln struct {
	t       *testing.T
	addr    string
	dataDir string
	cancel  context.CancelFunc
	done    chan error
	stderr  *syncBuffer
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { b := &syncBuffer{mu: make(chan struct{}, 1)}; return b }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startKiln runs a server in this process on a fresh data directory (or the
// given one) and waits for /healthz.
func startKiln(t *testing.T, opt cli.ServerOptions) *kiln {
	t.Helper()
	t.Setenv("KILN_ADMIN_TOKEN", testToken)
	t.Setenv("KILN_MASTER_KEY", "")
	if opt.DataDir == "" {
		opt.DataDir = t.TempDir()
	}
	if opt.Addr == "" {
		opt.Addr = freeAddr(t)
	}
	opt.Slots = max(opt.Slots, 4)
	ctx, cancel := context.WithCancel(context.Background())
	k := &kiln{t: t, addr: opt.Addr, dataDir: opt.DataDir, cancel: cancel, done: make(chan error, 1), stderr: newSyncBuffer()}
	go func() { k.done <- serve(ctx, opt, k.stderr) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-k.done:
			t.Fatalf("server stopped during start: %v\n%s", err, k.stderr.String())
		default:
		}
		resp, err := http.Get("http://" + opt.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, k.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(k.stop)
	return k
}

func (k *kiln) stop() {
	if k.cancel == nil {
		return
	}
	k.cancel()
	k.cancel = nil
	select {
	case err := <-k.done:
		if err != nil {
			k.t.Errorf("server stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		var stacks bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 2)
		k.t.Errorf("server did not stop; its log:\n%s\ngoroutines:\n%s", k.stderr.String(), stacks.String())
	}
}

func (k *kiln) client() *client.Client { return client.New(k.addr, testToken) }

// result is what one CLI call printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the kiln command line against the server with the admin token.
func (k *kiln) cli(args ...string) result {
	return k.cliAs(testToken, args...)
}

func (k *kiln) cliAs(token string, args ...string) result {
	k.t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{Serve: serve, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
	full := append([]string{"--server", k.addr, "--token", token}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := app.Execute(ctx, full)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// mustCLI runs a CLI call that must succeed.
func (k *kiln) mustCLI(args ...string) string {
	k.t.Helper()
	r := k.cli(args...)
	if r.code != 0 {
		k.t.Fatalf("kiln %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// writeProject writes files (path → content) under a new folder.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func projectFile(name string, extra string) string {
	return fmt.Sprintf(`name: %s
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb
defaults:
  owner: tester
  retries: 0
  timeout: 5m
%s`, name, extra)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
