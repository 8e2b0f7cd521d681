package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

const token = "kiln_bench_token_0123456789abcdef"

// server is a kiln server process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	c    *client.Client
}

func startServer(bin string, slots int) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	data, err := os.MkdirTemp("", "kiln-bench-sched-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", "--data", data, "--addr", addr, "--slots", strconv.Itoa(slots))
	cmd.Env = append(os.Environ(), "KILN_ADMIN_TOKEN="+token)
	s := &server{cmd: cmd, addr: addr, logs: &bytes.Buffer{}, c: client.New(addr, token)}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for t0 := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Since(t0) > time.Minute {
			s.stop()
			return nil, fmt.Errorf("server not ready: %v\n%s", err, s.logs)
		}
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_, _ = s.cmd.Process.Wait()
	if d := s.cmd.Args[3]; strings.Contains(d, "kiln-bench-sched-") {
		os.RemoveAll(d)
	}
}

// rssMiB reads a field (VmRSS, VmHWM) of the server's /proc status in MiB.
func (s *server) rssMiB(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// apply pushes graph g as project "b" of shell tasks running `true`.
func (s *server) apply(g *graph) error {
	files := map[string]string{"kiln.yaml": "name: b\ndefaults:\n  owner: bench\n  retries: 0\n  timezone: UTC\n"}
	for i, deps := range g.deps {
		ups := make([]string, len(deps))
		for k, d := range deps {
			ups[k] = g.taskName(d)
		}
		h := "# kiln:\n#   schedule: \"0 2 * * *\"\n"
		if len(ups) > 0 {
			h += "#   upstreams: [" + strings.Join(ups, ", ") + "]\n"
		}
		files["tasks/"+g.taskName(i)+".sh"] = h + "true\n"
	}
	_, err := s.c.Apply(context.Background(), "b", &api.ApplyRequest{Files: files})
	return err
}

// waitAll polls until want instances of bizdate day are final and returns
// them; a failed one is an error.
func (s *server) waitAll(day string, want int) ([]*meta.Instance, error) {
	q := url.Values{"from": {day}, "to": {day}, "limit": {"1000"}}
	deadline := time.Now().Add(10 * time.Minute)
	// While anything is unfinished, ask for one unfinished instance only:
	// listing the whole graph on every poll took a fifth of the server's
	// CPU from the run being measured.
	pending := url.Values{"from": {day}, "to": {day}, "limit": {"1"}, "state": {"waiting,queued,running"}}
	for {
		if p, err := s.c.Instances(context.Background(), "b", pending); err == nil && len(p) > 0 && time.Now().Before(deadline) {
			time.Sleep(250 * time.Millisecond)
			continue
		}
		insts, err := s.c.Instances(context.Background(), "b", q)
		if err != nil {
			return nil, err
		}
		final := 0
		for _, i := range insts {
			if i.State.Final() {
				final++
				if i.State != meta.StateSuccess {
					return nil, fmt.Errorf("instance %d (%s) is %s: %s", i.ID, i.TaskName, i.State, i.Error)
				}
			}
		}
		if final >= want {
			return insts, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d instances final after 10 minutes", final, want)
		}
		time.Sleep(250 * time.Millisecond) // the figures come from EndedAt; polling only costs CPU
	}
}

// result is one graph run's figures.
type result struct {
	total     time.Duration // first start (or the request) to the last end
	latencies []time.Duration
}

// runKiln runs g once (a backfill of every task for one date) on a fresh
// server and measures it from the request to the last instance's end.
func runKiln(bin string, g *graph, slots int) (*result, error) {
	s, err := startServer(bin, slots)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	if err := s.apply(g); err != nil {
		return nil, err
	}
	names := make([]string, len(g.deps))
	for i := range g.deps {
		names[i] = g.taskName(i)
	}
	const day = "2024-01-01"
	t0 := time.Now()
	if _, err := s.c.Backfill(context.Background(), "b", &api.BackfillRequest{Tasks: names, From: day, To: day}); err != nil {
		return nil, err
	}
	insts, err := s.waitAll(day, len(g.deps))
	if err != nil {
		return nil, err
	}
	byTask := map[string]*meta.Instance{}
	var last time.Time
	for _, i := range insts {
		byTask[i.TaskName] = i
		if i.EndedAt != nil && i.EndedAt.After(last) {
			last = *i.EndedAt
		}
	}
	res := &result{total: last.Sub(t0)}
	for i, deps := range g.deps {
		if len(deps) == 0 {
			continue
		}
		var ready time.Time
		for _, d := range deps {
			if e := byTask[g.taskName(d)].EndedAt; e.After(ready) {
				ready = *e
			}
		}
		res.latencies = append(res.latencies, byTask[g.taskName(i)].StartedAt.Sub(ready))
	}
	return res, nil
}

// runsKiln starts n manual runs of one task back to back and measures from
// the first request to the last end.
func runsKiln(bin string, n, slots int) (time.Duration, error) {
	s, err := startServer(bin, slots)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	if err := s.apply(chain(1)); err != nil {
		return 0, err
	}
	const day = "2024-01-02"
	t0 := time.Now()
	for range n {
		if _, err := s.c.Run(context.Background(), "b", "t0000", &api.RunRequest{Bizdate: day}); err != nil {
			return 0, err
		}
	}
	insts, err := s.waitAll(day, n)
	if err != nil {
		return 0, err
	}
	var last time.Time
	for _, i := range insts {
		if i.EndedAt != nil && i.EndedAt.After(last) {
			last = *i.EndedAt
		}
	}
	return last.Sub(t0), nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
