// Command query measures self-service query and data APIs against a real
// server process: download peak RSS for 1M vs 10M rows in CSV, XLSX and
// Parquet, and with wrk a cached data-API call and an uncached point lookup
// on a 1M-row DuckDB table, each beside a plain net/http handler returning
// the same bytes (the ceiling). It prints figures; it asserts nothing.
//
//	go run ./bench/query -kiln bin/kiln [-rows 1000000,10000000] [-only download,wrk]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const token = "kiln_bench_token_0123456789abcdef"

func main() {
	bin := flag.String("kiln", "bin/kiln", "path of the kiln binary")
	rows := flag.String("rows", "1000000,10000000", "row counts of the download runs")
	formats := flag.String("formats", "csv,xlsx,parquet", "download formats")
	only := flag.String("only", "download,wrk", "which benchmarks to run")
	dur := flag.String("duration", "10s", "wrk duration")
	flag.Parse()
	for _, b := range strings.Split(*only, ",") {
		var err error
		switch b {
		case "download":
			err = benchDownloads(*bin, *rows, *formats)
		case "wrk":
			err = benchWrk(*bin, *dur)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, b+":", err)
			os.Exit(1)
		}
	}
}

type server struct {
	cmd  *exec.Cmd
	addr string
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(bin string) (*server, error) {
	data, err := os.MkdirTemp("", "kiln-bench-query")
	if err != nil {
		return nil, err
	}
	addr := freeAddr()
	cmd := exec.Command(bin, "server", "--data", data, "--addr", addr)
	cmd.Env = append(os.Environ(), "KILN_ADMIN_TOKEN="+token)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s := &server{cmd: cmd, addr: addr}
				return s, s.apply()
			}
		}
		if time.Since(t0) > time.Minute {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("server not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_, _ = s.cmd.Process.Wait()
}

// peakRSS is the server's high-water resident memory in MiB.
func (s *server) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func (s *server) post(path string, body any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+s.addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, msg)
	}
	return resp, nil
}

func (s *server) postJSON(path string, body, out any) error {
	resp, err := s.post(path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (s *server) apply() error {
	files := map[string]string{"kiln.yaml": "name: bench\ndefault_engine: warehouse\nengines:\n  warehouse:\n    kind: duckdb\n"}
	return s.postJSON("/api/v1/projects/bench/apply", map[string]any{"files": files}, nil)
}

// benchDownloads downloads n rows of 4 columns in each format from a fresh
// server each time, so that the peak RSS is that download's.
func benchDownloads(bin, counts, formats string) error {
	for _, f := range strings.Split(formats, ",") {
		for _, c := range strings.Split(counts, ",") {
			n, _ := strconv.Atoi(c)
			s, err := start(bin)
			if err != nil {
				return err
			}
			idle := s.peakRSS()
			q := fmt.Sprintf("SELECT range AS id, 'row ' || range AS label, range * 0.5 AS amount, DATE '2024-01-01' + (range %% 365)::INTEGER AS day FROM range(%d)", n)
			t0 := time.Now()
			resp, err := s.post("/api/v1/projects/bench/download", map[string]any{"sql": q, "format": f})
			if err != nil {
				s.stop()
				return err
			}
			size, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			el := time.Since(t0)
			peak := s.peakRSS()
			s.stop()
			if err != nil {
				return err
			}
			fmt.Printf("download %-7s %9d rows: %7.1f MiB in %6.2f s = %4.2f M rows/s; server peak RSS %4.0f MiB (idle %.0f MiB)\n",
				f, n, float64(size)/(1<<20), el.Seconds(), float64(n)/el.Seconds()/1e6, peak, idle)
		}
	}
	return nil
}

var (
	reqsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99RE  = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`)
)

// wrk runs wrk and returns requests/s and p99 latency in ms.
func wrk(url, dur, script string, headers ...string) (float64, float64, error) {
	args := []string{"-t2", "-c32", "-d" + dur, "--latency"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	m, p := reqsRE.FindSubmatch(out), p99RE.FindSubmatch(out)
	if m == nil || p == nil {
		return 0, 0, fmt.Errorf("wrk output not understood:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	p99, _ := strconv.ParseFloat(string(p[1]), 64)
	switch string(p[2]) {
	case "us":
		p99 /= 1000
	case "s":
		p99 *= 1000
	}
	if bytes.Contains(out, []byte("Non-2xx")) {
		return 0, 0, fmt.Errorf("wrk saw errors:\n%s", out)
	}
	return rps, p99, nil
}

// ceiling serves body from a plain net/http handler and measures it.
func ceiling(body []byte, dur string) (float64, float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return wrk("http://"+ln.Addr().String()+"/x", dur, "")
}

func benchWrk(bin, dur string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install -y wrk)")
	}
	s, err := start(bin)
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.postJSON("/api/v1/projects/bench/sql", map[string]any{"sql": "CREATE TABLE users AS SELECT range AS id, 'user ' || range AS name, range % 100 AS city FROM range(1000000)"}, nil); err != nil {
		return err
	}
	for _, spec := range []map[string]any{
		{"path": "cached", "sql": "SELECT id, name, city FROM users WHERE id = :id", "order_by": "id", "cache_ttl": "1h",
			"params": []map[string]any{{"name": "id", "type": "int", "required": true}}},
		{"path": "lookup", "sql": "SELECT id, name, city FROM users WHERE id = :id", "order_by": "id",
			"params": []map[string]any{{"name": "id", "type": "int", "required": true}}},
	} {
		if err := s.postJSON("/api/v1/projects/bench/data-apis", spec, nil); err != nil {
			return err
		}
	}
	var app struct{ Token string }
	if err := s.postJSON("/api/v1/projects/bench/apps", map[string]any{"name": "bench", "apis": []string{"cached", "lookup"}}, &app); err != nil {
		return err
	}
	auth := "Authorization: Bearer " + app.Token
	get := func(path string) ([]byte, error) {
		req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+app.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	body, err := get("/data/v1/bench/cached?id=4242")
	if err != nil {
		return err
	}
	script, err := os.CreateTemp("", "kiln-lookup-*.lua")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	fmt.Fprint(script, `math.randomseed(os.time())
request = function() return wrk.format("GET", "/data/v1/bench/lookup?id=" .. math.random(0, 999999)) end
`)
	script.Close()

	crps, cp99, err := wrk("http://"+s.addr+"/data/v1/bench/cached?id=4242", dur, "", auth)
	if err != nil {
		return err
	}
	lrps, lp99, err := wrk("http://"+s.addr+"/data/v1/bench/lookup", dur, script.Name(), auth)
	if err != nil {
		return err
	}
	hrps, hp99, err := ceiling(body, dur)
	if err != nil {
		return err
	}
	fmt.Printf("net/http ceiling (%d-byte body): %8.0f req/s, p99 %6.2f ms\n", len(body), hrps, hp99)
	fmt.Printf("cached data API call:            %8.0f req/s, p99 %6.2f ms (%.2f of the ceiling)\n", crps, cp99, crps/hrps)
	fmt.Printf("uncached point lookup, 1M rows:  %8.0f req/s, p99 %6.2f ms (%.3f of the ceiling)\n", lrps, lp99, lrps/hrps)
	return nil
}
