package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

func shellTask(schedule string, ups []string, body string) string {
	h := "# kiln:\n"
	if schedule != "" {
		h += "#   schedule: \"" + schedule + "\"\n"
	}
	if len(ups) > 0 {
		h += "#   upstreams: [" + strings.Join(ups, ", ") + "]\n"
	}
	return h + body + "\n"
}

func opsProject(t *testing.T) string {
	return writeProject(t, map[string]string{
		"kiln.yaml":    projectFile("ops", ""),
		"tasks/a.sh":   shellTask("0 2 * * *", nil, "echo a $KILN_BIZDATE"),
		"tasks/b.sh":   shellTask("0 2 * * *", []string{"a"}, "echo b"),
		"tasks/c.sh":   shellTask("0 2 * * *", []string{"b"}, "echo c"),
		"tasks/f.sh":   shellTask("0 3 * * *", nil, "[ -e \"$KILN_DATA_DIR/f.ok\" ] || exit 4"),
		"tasks/g.sh":   shellTask("0 3 * * *", []string{"f"}, "echo g"),
		"tasks/off.sh": shellTask("", nil, "echo never"),
	})
}

// waitInstances polls until every instance of the project matching q is
// final and there are want of them, and returns them.
func (k *kiln) waitInstances(project string, q url.Values, want int) []*meta.Instance {
	k.t.Helper()
	q.Set("limit", "1000")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		insts, err := k.client().Instances(context.Background(), project, q)
		if err != nil {
			k.t.Fatal(err)
		}
		done := len(insts) == want
		for _, i := range insts {
			done = done && i.State.Final()
		}
		if done {
			return insts
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, i := range insts {
				b.WriteString(i.TaskName + " " + i.Bizdate + " " + string(i.State) + "\n")
			}
			k.t.Fatalf("instances %v not final (%d, want %d):\n%s", q, len(insts), want, b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func byTaskDay(insts []*meta.Instance) map[string]*meta.Instance {
	m := map[string]*meta.Instance{}
	for _, i := range insts {
		m[i.TaskName+"/"+i.Bizdate] = i
	}
	return m
}

func TestOps_BackfillGateRerunAndMarks(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", opsProject(t))

	// Dry run: the instances, their count and an estimate.
	out := k.mustCLI("backfill", "a", "--from", "2024-01-01", "--to", "2024-01-03", "--downstream", "--dry-run", "-p", "ops")
	if !strings.Contains(out, "dry run: 9 instances over 3 periods") || strings.Count(out, "2024-01-02") != 3 {
		t.Fatalf("dry run:\n%s", out)
	}
	if r := k.cli("instance", "list", "-p", "ops"); strings.Contains(r.stdout, "2024-01") {
		t.Fatalf("a dry run created instances:\n%s", r.stdout)
	}
	// The real thing, one period at a time, newest first.
	out = k.mustCLI("backfill", "a", "--from", "2024-01-01", "--to", "2024-01-03", "--downstream", "--parallel", "1", "--order", "desc", "-p", "ops")
	if !strings.Contains(out, "9 instances over 3 periods") {
		t.Fatalf("backfill:\n%s", out)
	}
	insts := k.waitInstances("ops", url.Values{"from": {"2024-01-01"}, "to": {"2024-01-03"}}, 9)
	m := byTaskDay(insts)
	for _, i := range insts {
		if i.State != meta.StateSuccess || i.Trigger != meta.TriggerBackfill || i.Priority > scheduler.BackfillPriority/2 {
			t.Fatalf("instance %s %s: %s %s priority %d", i.TaskName, i.Bizdate, i.State, i.Trigger, i.Priority)
		}
	}
	// The gate: a day starts only after the previous one in order ended,
	// and within a day b starts after a ended.
	days := []string{"2024-01-03", "2024-01-02", "2024-01-01"}
	for d := 0; d < len(days); d++ {
		a, b, c := m["a/"+days[d]], m["b/"+days[d]], m["c/"+days[d]]
		if b.StartedAt.Before(*a.EndedAt) || c.StartedAt.Before(*b.EndedAt) {
			t.Fatalf("day %s ran out of dependency order", days[d])
		}
		if d > 0 && a.StartedAt.Before(*m["c/"+days[d-1]].EndedAt) {
			t.Fatalf("day %s started before day %s ended with --parallel 1", days[d], days[d-1])
		}
	}

	// Rerun a's 2024-01-02 with its downstream: all three run again, in order.
	a2 := m["a/2024-01-02"]
	out = k.mustCLI("instance", "rerun", strconv.FormatInt(a2.ID, 10), "--downstream")
	if !strings.Contains(out, "3 instance(s) to run again") {
		t.Fatalf("rerun:\n%s", out)
	}
	insts = k.waitInstances("ops", url.Values{"from": {"2024-01-02"}, "to": {"2024-01-02"}}, 3)
	m2 := byTaskDay(insts)
	for _, n := range []string{"a", "b", "c"} {
		if i := m2[n+"/2024-01-02"]; i.State != meta.StateSuccess || i.Attempt != 2 {
			t.Fatalf("rerun %s: %s attempt %d", n, i.State, i.Attempt)
		}
	}
	if m2["b/2024-01-02"].StartedAt.Before(*m2["a/2024-01-02"].EndedAt) || m2["c/2024-01-02"].StartedAt.Before(*m2["b/2024-01-02"].EndedAt) {
		t.Fatal("rerun --downstream ran out of dependency order")
	}
	if r := k.cli("instance", "rerun", "999999"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("rerun of a missing instance: %d %s", r.code, r.stderr)
	}

	// f fails, so g is upstream_failed; why says so; set-success on f lets g run.
	k.mustCLI("backfill", "f", "--from", "2024-01-05", "--to", "2024-01-05", "--downstream", "-p", "ops")
	insts = k.waitInstances("ops", url.Values{"from": {"2024-01-05"}, "to": {"2024-01-05"}}, 2)
	m5 := byTaskDay(insts)
	if m5["f/2024-01-05"].State != meta.StateFailed || m5["g/2024-01-05"].State != meta.StateUpstreamFailed {
		t.Fatalf("f %s, g %s", m5["f/2024-01-05"].State, m5["g/2024-01-05"].State)
	}
	g5 := strconv.FormatInt(m5["g/2024-01-05"].ID, 10)
	if out = k.mustCLI("instance", "why", g5); !strings.Contains(out, "an upstream instance failed") {
		t.Fatalf("why g:\n%s", out)
	}
	out = k.mustCLI("instance", "set-success", strconv.FormatInt(m5["f/2024-01-05"].ID, 10))
	if !strings.Contains(out, "is success") {
		t.Fatalf("set-success: %s", out)
	}
	insts = k.waitInstances("ops", url.Values{"from": {"2024-01-05"}, "to": {"2024-01-05"}, "task": {"g"}}, 1)
	if insts[0].State != meta.StateSuccess {
		t.Fatalf("g after set-success on f: %s", insts[0].State)
	}
	out = k.mustCLI("instance", "set-failed", g5)
	if !strings.Contains(out, "is failed") {
		t.Fatalf("set-failed: %s", out)
	}

	// Summary per day: 3 instances on 2024-01-01, all successful.
	var sum []scheduler.Summary
	if err := json.Unmarshal([]byte(k.mustCLI("ops", "summary", "--from", "2024-01-01", "--to", "2024-01-05", "--json", "-p", "ops")), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum) != 4 || sum[0].Bizdate != "2024-01-01" || sum[0].Total != 3 || sum[0].SuccessRate != 1 || sum[0].P95DurationMs <= 0 {
		t.Fatalf("summary: %+v", sum)
	}
	if sum[3].States[meta.StateFailed] != 1 || sum[3].SuccessRate != 0.5 {
		t.Fatalf("summary of 2024-01-05: %+v", sum[3])
	}
	if r := k.cli("backfill", "a", "--from", "2024-13-01", "--to", "2024-01-02", "-p", "ops"); r.code != 2 {
		t.Fatalf("bad date: exit %d %s", r.code, r.stderr)
	}
	if r := k.cli("backfill", "off", "--from", "2024-01-01", "--to", "2024-01-02", "-p", "ops"); r.code != 1 || !strings.Contains(r.stderr, "has no schedule") {
		t.Fatalf("backfill of an unscheduled task: exit %d %s", r.code, r.stderr)
	}
}

func TestOps_PauseOfflineWhyAndDeps(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", opsProject(t))

	out := k.mustCLI("task", "pause", "a", "-p", "ops")
	if !strings.Contains(out, "task a is paused") {
		t.Fatalf("pause: %s", out)
	}
	k.mustCLI("backfill", "a", "--from", "2024-02-01", "--to", "2024-02-01", "--downstream", "-p", "ops")
	c := k.client()
	var insts []*meta.Instance
	deadline := time.Now().Add(time.Minute)
	for len(insts) != 3 || byTaskDay(insts)["a/2024-02-01"].State != meta.StateQueued {
		var err error
		if insts, err = c.Instances(context.Background(), "ops", url.Values{"from": {"2024-02-01"}, "to": {"2024-02-01"}}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("backfill not planned: %d instances", len(insts))
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := byTaskDay(insts)
	a, cc := m["a/2024-02-01"], m["c/2024-02-01"]
	if out = k.mustCLI("instance", "why", strconv.FormatInt(a.ID, 10)); !strings.Contains(out, "task a is paused") {
		t.Fatalf("why a:\n%s", out)
	}
	// c waits for b, which waits for a, which is paused: the whole chain.
	out = k.mustCLI("instance", "why", strconv.FormatInt(cc.ID, 10))
	for _, want := range []string{"waiting for 1 upstream instance", "ops.b 2024-02-01 waiting", "ops.a 2024-02-01 queued: task a is paused"} {
		if !strings.Contains(out, want) {
			t.Fatalf("why c lacks %q:\n%s", want, out)
		}
	}
	out = k.mustCLI("instance", "upstream", strconv.FormatInt(cc.ID, 10), "--depth", "0")
	if !strings.Contains(out, "b ") || !strings.Contains(out, "a ") {
		t.Fatalf("instance upstream:\n%s", out)
	}
	if out = k.mustCLI("instance", "downstream", strconv.FormatInt(a.ID, 10)); !strings.Contains(out, " b ") || strings.Contains(out, " c ") {
		t.Fatalf("instance downstream depth 1:\n%s", out)
	}
	k.mustCLI("task", "resume", "a", "-p", "ops")
	for _, i := range k.waitInstances("ops", url.Values{"from": {"2024-02-01"}, "to": {"2024-02-01"}}, 3) {
		if i.State != meta.StateSuccess {
			t.Fatalf("%s after resume: %s", i.TaskName, i.State)
		}
	}

	// Task dependencies, and offline refused while online tasks depend on it.
	out = k.mustCLI("task", "upstream", "c", "--depth", "0", "-p", "ops")
	if !strings.Contains(out, "1      ops      b") && !strings.Contains(out, "b") || !strings.Contains(out, "a") {
		t.Fatalf("task upstream:\n%s", out)
	}
	var deps struct{ Tasks []scheduler.TaskRef }
	if err := json.Unmarshal([]byte(k.mustCLI("task", "downstream", "a", "--depth", "0", "--json", "-p", "ops")), &deps); err != nil {
		t.Fatal(err)
	}
	if len(deps.Tasks) != 2 || deps.Tasks[0].Task != "b" || deps.Tasks[1].Task != "c" || deps.Tasks[1].Depth != 2 {
		t.Fatalf("task downstream: %+v", deps.Tasks)
	}
	r := k.cli("task", "offline", "a", "-p", "ops")
	if r.code != 1 || !strings.Contains(r.stderr, "online downstream tasks: ops.b") {
		t.Fatalf("offline with downstream: exit %d %s", r.code, r.stderr)
	}
	k.mustCLI("task", "offline", "c", "-p", "ops")
	if out = k.mustCLI("task", "offline", "a", "--force", "-p", "ops"); !strings.Contains(out, "task a is offline") {
		t.Fatalf("offline --force: %s", out)
	}
	if r := k.cli("task", "pause", "nope", "-p", "ops"); r.code != 1 || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("pause of an unknown task: exit %d %s", r.code, r.stderr)
	}
}
