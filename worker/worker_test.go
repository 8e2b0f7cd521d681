package worker_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/runner"
	"github.com/kilnhq/kiln/worker"
)

// TestWorker_TimeoutAlertOnly runs a shell task with timeout_alert_only
// that waits until the test has seen instance.timed_out: the event comes
// while the instance runs, and the instance then ends in success (no
// failure, no retry).
func TestWorker_TimeoutAlertOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	proj, err := st.CreateProject(ctx, &meta.CreateProjectParams{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(dir, "release")
	_, v, err := st.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: proj.ID, Spec: meta.TaskSpec{
		Name: "slow", Type: meta.TaskShell, Timeout: meta.Duration(50 * time.Millisecond), TimeoutAlertOnly: true,
		Script: `while [ ! -e "` + release + `" ]; do sleep 0.02; done`}})
	if err != nil {
		t.Fatal(err)
	}
	logs, err := logstore.New(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := runner.New(runner.Config{DataDir: dir}, st, nil, logs, log)
	bus := events.New()
	sub := bus.Subscribe(16)
	defer sub.Close()
	w := worker.New(worker.Config{Slots: 1, PollInterval: 20 * time.Millisecond}, st, run, bus, log)
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	inst, err := st.CreateInstance(ctx, &meta.CreateInstanceParams{TaskID: v.TaskID, VersionID: v.ID, Bizdate: "2024-01-01",
		Trigger: meta.TriggerManual, State: meta.StateQueued})
	if err != nil {
		t.Fatal(err)
	}
	w.Wake()
	deadline := time.After(time.Minute)
	var kinds []events.Kind
	for {
		select {
		case e := <-sub.C:
			kinds = append(kinds, e.Kind)
			switch e.Kind {
			case events.InstanceTimedOut:
				got, err := st.GetInstance(ctx, inst.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != meta.StateRunning {
					t.Fatalf("instance.timed_out with the instance %s, want running", got.State)
				}
				if err := os.WriteFile(release, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			case events.InstanceFinished:
				if e.Instance.State != meta.StateSuccess || e.Instance.Attempt != 1 {
					t.Fatalf("finished %s on attempt %d (%s), want success on the first; events %v",
						e.Instance.State, e.Instance.Attempt, e.Instance.Error, kinds)
				}
				if len(kinds) < 2 || kinds[len(kinds)-2] != events.InstanceTimedOut {
					t.Fatalf("events %v, want instance.timed_out before instance.finished", kinds)
				}
				return
			case events.InstanceFailed, events.InstanceRetried:
				t.Fatalf("event %s: an alert-only timeout must not fail the instance", e.Kind)
			}
		case <-deadline:
			t.Fatalf("no outcome; events %v", kinds)
		}
	}
}
