package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
)

// mpTask is a shell task that appends "start NS PID" and, after a while,
// "end NS PID" to a file named after its instance in the shared folder, so
// the test sees every run of every instance, killed ones included.
func mpTask(ups ...string) string {
	return shellTask("0 2 * * *", ups, `f="$KILN_OUT_DIR/$KILN_INSTANCE_ID"
echo "start $(date +%s%N) $$" >> "$f"
sleep 1.5
echo "end $(date +%s%N) $$" >> "$f"`)
}

// TestMultiProcess_PostgresWorkersSurviveKill9 runs a server, a second
// server (a replica: it only competes for the planner lease) and two
// `kiln worker` processes on one Postgres metadata database, backfills a
// graph of shell tasks, kills one worker with SIGKILL while it runs
// instances, and checks that every instance succeeded exactly once, the
// killed worker's instances were recovered and run again elsewhere, no
// instance ever ran twice at once (from the recorded attempts and from the
// tasks' own start/end records), and one process planned.
func TestMultiProcess_PostgresWorkersSurviveKill9(t *testing.T) {
	ctx := context.Background()
	pg := testenv.Postgres(t)
	out := t.TempDir() // the folder every process's tasks write to
	files := map[string]string{
		"kiln.yaml":     fmt.Sprintf("name: mp\ndefaults:\n  owner: tester\n  retries: 2\n  retry_delay: 1s\n  timeout: 5m\nparams:\n  out_dir: %s\n", out),
		"tasks/root.sh": mpTask(),
		"tasks/join.sh": mpTask("m1", "m2", "m3", "m4", "m5", "m6"),
		"tasks/sink.sh": mpTask("join"),
	}
	for i := 1; i <= 6; i++ {
		files[fmt.Sprintf("tasks/m%d.sh", i)] = mpTask("root")
	}
	dir := writeProject(t, files)

	addr := freeAddr(t)
	server := startProc(t, "server", "--meta", pg, "--data", t.TempDir(), "--addr", addr, "--project", dir, "--slots", "2")
	server.waitHealthy(addr)
	addr2 := freeAddr(t)
	replica := startProc(t, "server", "--meta", pg, "--data", t.TempDir(), "--addr", addr2, "--slots", "1")
	replica.waitHealthy(addr2)
	w1 := startProc(t, "worker", "--meta", pg, "--data", t.TempDir(), "--slots", "3")
	w2 := startProc(t, "worker", "--meta", pg, "--data", t.TempDir(), "--slots", "3")
	host, _ := os.Hostname()
	w1Name := fmt.Sprintf("%s:%d", host, w1.cmd.Process.Pid)

	c := client.New(addr, testToken)
	const days = 4
	res, err := c.Backfill(ctx, "mp", &api.BackfillRequest{
		Tasks: []string{"root", "m1", "m2", "m3", "m4", "m5", "m6", "join", "sink"},
		From:  "2024-03-01", To: fmt.Sprintf("2024-03-%02d", days)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 9*days {
		t.Fatalf("backfill planned %d instances, want %d", res.Count, 9*days)
	}
	q := url.Values{"from": {"2024-03-01"}, "to": {"2024-03-31"}, "limit": {"1000"}}
	list := func() []*meta.Instance {
		insts, err := c.Instances(ctx, "mp", q)
		if err != nil {
			t.Fatal(err)
		}
		return insts
	}
	waitFor := func(what string, done func([]*meta.Instance) bool) []*meta.Instance {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			insts := list()
			if done(insts) {
				return insts
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: timed out\nserver:\n%s\nworker 1:\n%s\nworker 2:\n%s", what, server.log, w1.log, w2.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Kill worker 1 while it runs instances.
	var victims []int64
	waitFor("worker 1 running two instances", func(insts []*meta.Instance) bool {
		victims = victims[:0]
		for _, i := range insts {
			if i.State == meta.StateRunning && i.Worker == w1Name {
				victims = append(victims, i.ID)
			}
		}
		return len(victims) >= 2
	})
	w1.kill9()
	killedAt := time.Now()

	insts := waitFor("every instance final", func(insts []*meta.Instance) bool {
		final := 0
		for _, i := range insts {
			if i.State.Final() {
				final++
			}
		}
		return final == len(insts)
	})
	seen := map[string]bool{}
	for _, i := range insts {
		key := i.TaskName + "/" + i.Bizdate
		if i.State != meta.StateSuccess || seen[key] {
			t.Errorf("%d %s: %s (duplicate: %v) %s", i.ID, key, i.State, seen[key], i.Error)
		}
		seen[key] = true
		checkAttempts(t, c, i, w1Name, victims)
		checkRuns(t, filepath.Join(out, strconv.FormatInt(i.ID, 10)), i, killedAt)
	}
	if len(insts) != res.Count {
		t.Errorf("%d instances, want %d", len(insts), res.Count)
	}
	checkOnePlanner(t, pg, server.log.String(), replica.log.String())
}

// checkAttempts checks that the recorded attempts of an instance never
// overlap and that a victim of the killed worker was recovered.
func checkAttempts(t *testing.T, c *client.Client, inst *meta.Instance, killed string, victims []int64) {
	t.Helper()
	d, err := c.Instance(context.Background(), inst.ID)
	if err != nil {
		t.Fatal(err)
	}
	atts := d.Attempts
	sort.Slice(atts, func(a, b int) bool { return atts[a].Attempt < atts[b].Attempt })
	for k := 1; k < len(atts); k++ {
		prev := atts[k-1]
		if prev.EndedAt == nil || prev.EndedAt.After(atts[k].StartedAt) {
			t.Errorf("instance %d: attempt %d (%s–%v) overlaps attempt %d from %s",
				inst.ID, prev.Attempt, prev.StartedAt, prev.EndedAt, atts[k].Attempt, atts[k].StartedAt)
		}
	}
	for _, v := range victims {
		if v != inst.ID {
			continue
		}
		if len(atts) < 2 || atts[0].Worker != killed || atts[len(atts)-1].Worker == killed {
			t.Errorf("instance %d ran on the killed worker %s; attempts: %+v", inst.ID, killed, atts)
		}
	}
}

// run is one run of a task as the task recorded it.
type run struct {
	pid        string
	start, end int64 // ns; end 0: never ended (killed)
}

// checkRuns reads what the task's runs recorded and checks that they
// never overlap: a run that did not end must be the killed worker's, and
// started before the kill; every other ended before the next began.
func checkRuns(t *testing.T, path string, inst *meta.Instance, killedAt time.Time) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("instance %d (%s) left no record: %v", inst.ID, inst.TaskName, err)
		return
	}
	var runs []*run
	byPid := map[string]*run{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		ns, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "start":
			r := &run{pid: f[2], start: ns}
			runs, byPid[f[2]] = append(runs, r), r
		case "end":
			byPid[f[2]].end = ns
		}
	}
	sort.Slice(runs, func(a, b int) bool { return runs[a].start < runs[b].start })
	var ended []*run
	for k, r := range runs {
		if r.end != 0 {
			ended = append(ended, r)
		} else if r.start > killedAt.UnixNano() {
			t.Errorf("instance %d: a run started at %d after the kill never ended", inst.ID, r.start)
		}
		if k+1 < len(runs) {
			next := runs[k+1]
			if r.end > next.start || (r.end == 0 && next.start < killedAt.UnixNano()) {
				t.Errorf("instance %d: runs overlap: pid %s [%d, %d] and pid %s from %d",
					inst.ID, r.pid, r.start, r.end, next.pid, next.start)
			}
		}
	}
	// Exactly one run ends, except that a run the killed worker finished
	// just before it died (its outcome never recorded) is run again: that
	// first run must have ended before the kill.
	if len(ended) == 0 {
		t.Errorf("instance %d: no run ended: %s", inst.ID, b)
	}
	for _, r := range ended[:max(len(ended)-1, 0)] {
		if r.end > killedAt.UnixNano() {
			t.Errorf("instance %d: %d runs ended, and one before the last ended after the kill: %s", inst.ID, len(ended), b)
		}
	}
}

// checkOnePlanner checks that exactly one of the servers took the planner
// lease and that no (task, period) has two scheduled instances.
func checkOnePlanner(t *testing.T, pg, serverLog, replicaLog string) {
	t.Helper()
	const took = "took the planner lease"
	if n := strings.Count(serverLog, took) + strings.Count(replicaLog, took); n != 1 {
		t.Errorf("the planner lease was taken %d times, want once", n)
	}
	conn, err := pgx.Connect(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var dups, scheduled int
	err = conn.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM instances WHERE trigger_kind = 'schedule'
			GROUP BY task_id, period_start HAVING count(*) > 1) d),
		(SELECT count(*) FROM instances WHERE trigger_kind = 'schedule')`).Scan(&dups, &scheduled)
	if err != nil {
		t.Fatal(err)
	}
	if dups != 0 || scheduled == 0 {
		t.Errorf("%d scheduled instances, %d (task, period) pairs planned twice", scheduled, dups)
	}
}
