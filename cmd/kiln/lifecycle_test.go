package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/meta"
)

func TestCLI_InitLoginAndRun(t *testing.T) {
	t.Setenv("KILN_ADMIN_PASSWORD", "admin-pass-123")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	k := startKiln(t, cli.ServerOptions{})

	// Sign in with the password; later commands use the saved token.
	var out, errb bytes.Buffer
	app := &cli.App{Serve: serve, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("admin-pass-123\n")}
	if code := app.Execute(context.Background(), []string{"--server", k.addr, "login", "--user", "admin", "--password-stdin"}); code != 0 {
		t.Fatalf("login: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "signed in") {
		t.Fatalf("login output: %s", out.String())
	}
	app = &cli.App{Serve: serve, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("wrong\n")}
	if code := app.Execute(context.Background(), []string{"--server", k.addr, "login", "--user", "admin", "--password-stdin"}); code != 1 {
		t.Fatalf("login with a wrong password: exit %d", code)
	}

	dir := filepath.Join(t.TempDir(), "starter")
	k.mustCLI("init", dir)
	if r := k.cli("init", dir); r.code == 0 {
		t.Fatal("init over an existing project succeeded")
	}
	k.mustCLI("validate", dir)
	k.mustCLI("apply", dir)
	tasks := k.mustCLI("task", "list", "-p", "starter", "--json")
	for _, name := range []string{"hello", "hello_model"} {
		if !strings.Contains(tasks, `"`+name+`"`) {
			t.Fatalf("scaffold lacks task %s: %s", name, tasks)
		}
		k.mustCLI("run", name, "-p", "starter", "--bizdate", "2024-03-01", "--wait")
	}
}

func TestCLI_KillRunningInstance(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := writeProject(t, map[string]string{
		"kiln.yaml":      projectFile("ops", ""),
		"tasks/long.sh":  "echo working\nsleep 300\n",
		"tasks/quick.sh": "echo done\n",
	})
	k.mustCLI("apply", dir)
	out := k.mustCLI("run", "long", "-p", "ops", "--bizdate", "2024-03-01")
	id, err := strconv.ParseInt(strings.Fields(out)[1], 10, 64)
	if err != nil {
		t.Fatalf("run output: %s", out)
	}
	c := k.client()
	// Wait for it to be running with its first output.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var b bytes.Buffer
		d, err := c.Instance(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Log(context.Background(), id, false, &b)
		if d.Instance.State == meta.StateRunning && strings.Contains(b.String(), "working") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance never ran: %s", d.Instance.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	k.mustCLI("instance", "kill", strconv.FormatInt(id, 10))
	inst, err := c.Wait(context.Background(), id)
	if err != nil || inst.State != meta.StateKilled {
		t.Fatalf("after kill: %+v %v", inst, err)
	}
	if r := k.cli("instance", "kill", strconv.FormatInt(id, 10)); r.code != 1 || !strings.Contains(r.stderr, "already killed") {
		t.Fatalf("second kill: %+v", r)
	}
	// The slot is free again, and the killed run's log says so once its
	// runner has returned (that happens after the state change above).
	k.mustCLI("run", "quick", "-p", "ops", "--bizdate", "2024-03-01", "--wait")
	deadline = time.Now().Add(30 * time.Second)
	for {
		logs := k.mustCLI("instance", "logs", strconv.FormatInt(id, 10))
		if strings.Contains(logs, "KILLED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of the killed run: %s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
