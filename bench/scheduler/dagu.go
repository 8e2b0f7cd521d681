package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The Dagu side. Dagu's source is not part of this repository: the
// benchmark only takes the path of a Dagu binary built elsewhere. Every
// Dagu run gets a fresh DAGU_HOME under the temp directory (its DAGs,
// data, logs and a base.yaml written here, so the defaults' retry policy
// and its 10 active steps do not apply), a loopback port, no auth, no
// update check, no coordinator and no tunnel.
//
// How each benchmark is run, and why:
//   - chain, fanout, dag: `dagu start FILE`, the command that executes one
//     DAG run (Dagu's server and scheduler spawn exactly this command for
//     every run), on a `type: graph` DAG with `max_active_steps: 8`, Kiln's
//     8 slots. The figure is from starting the command to the "DAG run
//     finished" line of the run's own log (milliseconds; its status files
//     hold whole seconds only), so it includes Dagu's process start and
//     DAG load the way Kiln's includes its request and planning.
//   - runs: `dagu start-all` (server and scheduler), then 50 `POST
//     /api/v1/dags/one/start` back to back, like Kiln's 50 run requests;
//     the figure is from the first request to the last run's "DAG run
//     finished". Each run is its own `dagu start` process and Dagu does
//     not limit them to 8 (its start handler answers once the run has
//     left "not started", polling every 100 ms, so requests are ≥ 100 ms
//     each, sequential as Kiln's); its 8-slot equivalent, `enqueue` into
//     a global queue with max_concurrency 8, is measured as well and
//     printed beside it (the queue is polled every few seconds, so it is
//     far slower).

// daguRun is one measurement of a Dagu benchmark: the figure in Kiln's
// unit and a note with the details.
type daguRun struct {
	value float64
	note  string
}

// runDagu runs one benchmark on the Dagu binary bin.
func runDagu(bin, which string) (*daguRun, error) {
	home, err := os.MkdirTemp("", "kiln-bench-dagu-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	base := "type: graph\noverlap_policy: all\nmax_active_steps: " + fmt.Sprint(slots) + "\nhist_retention_days: 1\n"
	if err := os.MkdirAll(filepath.Join(home, "dags"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(home, "base.yaml"), []byte(base), 0o644); err != nil {
		return nil, err
	}
	d := &dagu{bin: bin, home: home}
	switch which {
	case "chain", "fanout", "dag":
		g := map[string]*graph{"chain": chain(100), "fanout": fanout(200), "dag": layered(10, 100)}[which]
		return d.graph(g, which)
	case "runs":
		return d.runs(50)
	}
	return nil, fmt.Errorf("unknown benchmark %q", which)
}

// dagu is one Dagu installation: a binary and its DAGU_HOME.
type dagu struct {
	bin, home string
	port      int
}

func (d *dagu) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DAGU_") {
			env = append(env, kv)
		}
	}
	return append(env, "DAGU_HOME="+d.home, "DAGU_HOST=127.0.0.1", fmt.Sprintf("DAGU_PORT=%d", d.port),
		"DAGU_AUTH_MODE=none", "DAGU_CHECK_UPDATES=false", "DAGU_COORDINATOR_ENABLED=false", "DAGU_TUNNEL=false")
}

// dagYAML is g as a Dagu DAG of steps running `true`.
func dagYAML(g *graph, extra string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "type: graph\nmax_active_steps: %d\n%ssteps:\n", slots, extra)
	for i, deps := range g.deps {
		fmt.Fprintf(&b, "  - name: %s\n    command: \"true\"\n", g.taskName(i))
		if len(deps) > 0 {
			ups := make([]string, len(deps))
			for k, up := range deps {
				ups[k] = g.taskName(up)
			}
			fmt.Fprintf(&b, "    depends: [%s]\n", strings.Join(ups, ", "))
		}
	}
	return b.Bytes()
}

// graph runs g once with `dagu start` and returns Kiln's unit for which.
func (d *dagu) graph(g *graph, which string) (*daguRun, error) {
	file := filepath.Join(d.home, "dags", "g.yaml")
	if err := os.WriteFile(file, dagYAML(g, ""), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(d.bin, "start", file)
	cmd.Env = d.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dagu start: %v\n%s", err, tail(out.String()))
	}
	wall := time.Since(t0)
	runs, err := d.finishedRuns("g")
	if err != nil {
		return nil, err
	}
	if len(runs) != 1 {
		return nil, fmt.Errorf("%d finished runs of g in Dagu's logs, want 1", len(runs))
	}
	if err := d.checkStatus("g", len(g.deps)); err != nil {
		return nil, err
	}
	r := runs[0]
	total := r.finished.Sub(t0)
	note := fmt.Sprintf("dagu start→finished %.2f s, in-run %.2f s, to exit %.2f s", total.Seconds(), r.finished.Sub(r.started).Seconds(), wall.Seconds())
	switch which {
	case "chain":
		return &daguRun{ms(total) / float64(len(g.deps)), note}, nil
	case "fanout":
		return &daguRun{float64(len(g.deps)) / total.Seconds(), note}, nil
	}
	return &daguRun{total.Seconds(), note}, nil
}

// runs starts n runs of a one-step DAG through Dagu's API, then n more
// through its queue with 8 slots.
func (d *dagu) runs(n int) (*daguRun, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := fmt.Sprintf("queues:\n  enabled: true\n  config:\n    - name: bench\n      max_concurrency: %d\n", slots)
	if err := os.WriteFile(filepath.Join(d.home, "config.yaml"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	one := dagYAML(chain(1), "overlap_policy: all\n")
	if err := os.WriteFile(filepath.Join(d.home, "dags", "one.yaml"), one, 0o644); err != nil {
		return nil, err
	}
	queued := dagYAML(chain(1), "overlap_policy: all\nqueue: bench\n")
	if err := os.WriteFile(filepath.Join(d.home, "dags", "queued.yaml"), queued, 0o644); err != nil {
		return nil, err
	}
	stop, err := d.startAll()
	if err != nil {
		return nil, err
	}
	defer stop()
	direct, err := d.postRuns("one", "start", n)
	if err != nil {
		return nil, err
	}
	viaQueue, err := d.postRuns("queued", "enqueue", n)
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%d API starts in %.2f s; enqueue into an 8-slot queue: %.1f runs/s (%.2f s)",
		n, direct.Seconds(), float64(n)/viaQueue.Seconds(), viaQueue.Seconds())
	return &daguRun{float64(n) / direct.Seconds(), note}, nil
}

// startAll starts Dagu's server and scheduler and waits for its health
// endpoint; the returned function stops it.
func (d *dagu) startAll() (func(), error) {
	cmd := exec.Command(d.bin, "start-all")
	cmd.Env = d.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so the runs it spawned go down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/api/v1/health", d.port)
	for t0 := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				// The scheduler starts beside the server; give it a moment
				// to take its queue so the enqueued runs are not timed
				// against its start.
				time.Sleep(2 * time.Second)
				return stop, nil
			}
		}
		if time.Since(t0) > time.Minute {
			stop()
			return nil, fmt.Errorf("dagu start-all not ready after a minute:\n%s", tail(out.String()))
		}
	}
}

// postRuns posts n run requests (action start or enqueue) for DAG name
// back to back and returns the time from the first to the last run's end.
func (d *dagu) postRuns(name, action string, n int) (time.Duration, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d/api/v1/dags/%s/%s", d.port, name, action)
	t0 := time.Now()
	for range n {
		resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("POST %s: %s", url, resp.Status)
		}
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		runs, err := d.finishedRuns(name)
		if err != nil {
			return 0, err
		}
		if len(runs) >= n {
			var last time.Time
			for _, r := range runs {
				if r.finished.After(last) {
					last = r.finished
				}
			}
			return last.Sub(t0), d.checkStatus(name, 1)
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d Dagu runs of %s finished after 10 minutes", len(runs), n, name)
		}
		time.Sleep(250 * time.Millisecond) // the figure comes from the logs; polling only costs CPU
	}
}

// daguLogRun is one run's span from its log's first and last lines.
type daguLogRun struct{ started, finished time.Time }

// finishedRuns reads the "DAG run started" and "DAG run finished" lines of
// every run log of DAG name ($DAGU_HOME/logs/NAME/*/dag-run_*.log) and
// returns the runs that finished.
func (d *dagu) finishedRuns(name string) ([]daguLogRun, error) {
	files, err := filepath.Glob(filepath.Join(d.home, "logs", name, "*", "dag-run_*.log"))
	if err != nil {
		return nil, err
	}
	var runs []daguLogRun
	for _, f := range files {
		r, ok, err := readRunLog(f)
		if err != nil {
			return nil, err
		}
		if ok {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

func readRunLog(file string) (daguLogRun, bool, error) {
	var r daguLogRun
	f, err := os.Open(file)
	if err != nil {
		return r, false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, `msg="DAG run started"`):
			r.started = logTime(line)
		case strings.Contains(line, `msg="DAG run finished"`):
			r.finished = logTime(line)
		}
	}
	return r, !r.finished.IsZero(), sc.Err()
}

// logTime is the time=... field that starts each slog line of Dagu's logs.
func logTime(line string) time.Time {
	f, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
	t, _ := time.Parse(time.RFC3339Nano, f)
	return t
}

// checkStatus reads the last status of every run of DAG name from Dagu's
// status files and checks that each run and its steps succeeded. A run
// writes its final status just after its log's last line, so a status
// still short of that is read again for a while.
func (d *dagu) checkStatus(name string, steps int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := d.statusOnce(name, steps)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *dagu) statusOnce(name string, steps int) error {
	files, err := filepath.Glob(filepath.Join(d.home, "data", "dag-runs", name, "dag-runs", "*", "*", "*", "*", "*", "status.jsonl"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no Dagu status files for " + name)
	}
	// A queued run keeps the attempt that recorded it as queued and runs
	// as a later attempt: only each run's last attempt (names sort by
	// time) counts.
	last := map[string]string{}
	for _, f := range files {
		run := filepath.Dir(filepath.Dir(f))
		if f > last[run] {
			last[run] = f
		}
	}
	const succeeded = 4 // Dagu's core.Succeeded
	for _, f := range last {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		var st struct {
			Status int `json:"status"`
			Nodes  []struct {
				Status int `json:"status"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(lines[len(lines)-1], &st); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		ok := 0
		for _, n := range st.Nodes {
			if n.Status == succeeded {
				ok++
			}
		}
		if st.Status != succeeded || ok != steps {
			return fmt.Errorf("dagu run %s: status %d, %d of %d steps succeeded", f, st.Status, ok, steps)
		}
	}
	return nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
