package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The kiln binary, built once per test run for the tests that need real
// processes (kill -9, several processes on one store).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func kilnBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "kiln-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "kiln")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("build kiln: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// proc is a kiln process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// startProc runs the kiln binary with args; it is killed at the end of the test.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(kilnBinary(t), args...)
	cmd.Env = append(os.Environ(), "KILN_ADMIN_TOKEN="+testToken, "KILN_MASTER_KEY=")
	p := &proc{t: t, cmd: cmd, log: newSyncBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill9)
	return p
}

// kill9 kills the process with SIGKILL and reaps it.
func (p *proc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to shut down and waits.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("kiln did not stop on SIGTERM:\n%s", p.log.String())
		p.kill9()
	}
}

// waitHealthy waits for a server process to answer /healthz.
func (p *proc) waitHealthy(addr string) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			p.t.Fatalf("kiln exited during start:\n%s", p.log.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("kiln not ready:\n%s", p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
