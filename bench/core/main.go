// Command core measures Kiln's core against a real server process: ad-hoc
// SQL overhead over DuckDB itself, CSV streaming rate and server memory,
// and start-to-ready time. It prints figures and ratios; it asserts nothing.
//
//	go run ./bench/core -kiln bin/kiln [-rows 10000000] [-stream 1000000,5000000]
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

const token = "kiln_bench_token_0123456789abcdef"

func main() {
	bin := flag.String("kiln", "bin/kiln", "path of the kiln binary")
	rows := flag.Int("rows", 10_000_000, "rows of the aggregate benchmark table")
	stream := flag.String("stream", "1000000,5000000", "row counts of the CSV streaming runs")
	reps := flag.Int("reps", 10, "repetitions of the aggregate query")
	only := flag.String("only", "sql,csv,startup", "which benchmarks to run")
	flag.Parse()
	for _, b := range strings.Split(*only, ",") {
		var err error
		switch b {
		case "sql":
			err = benchSQL(*bin, *rows, *reps)
		case "csv":
			err = benchCSV(*bin, *stream)
		case "startup":
			err = benchStartup(*bin)
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
	data string
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(bin, data string) (*server, time.Duration, error) {
	addr := freeAddr()
	cmd := exec.Command(bin, "server", "--data", data, "--addr", addr)
	cmd.Env = append(os.Environ(), "KILN_ADMIN_TOKEN="+token)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return &server{cmd: cmd, addr: addr, data: data}, time.Since(t0), nil
			}
		}
		if time.Since(t0) > time.Minute {
			_ = cmd.Process.Kill()
			return nil, 0, fmt.Errorf("server not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(2 * time.Millisecond)
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

// setupProject applies a one-engine project so /sql has somewhere to run.
func (s *server) setupProject() error {
	files := map[string]string{"kiln.yaml": "name: bench\ndefault_engine: warehouse\nengines:\n  warehouse:\n    kind: duckdb\n"}
	resp, err := s.post("/api/v1/projects/bench/apply", map[string]any{"files": files})
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (s *server) sql(q, format string) (int64, error) {
	resp, err := s.post("/api/v1/projects/bench/sql", map[string]any{"sql": q, "format": format})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func benchSQL(bin string, rows, reps int) error {
	data, _ := os.MkdirTemp("", "kiln-bench-sql-")
	defer os.RemoveAll(data)
	s, _, err := start(bin, data)
	if err != nil {
		return err
	}
	if err := s.setupProject(); err != nil {
		s.stop()
		return err
	}
	if _, err := s.sql(fmt.Sprintf("CREATE OR REPLACE TABLE t AS SELECT range AS x FROM range(%d)", rows), "json"); err != nil {
		s.stop()
		return err
	}
	s.stop()
	// DuckDB lets one process open a file: the direct side reads a copy, and
	// the two sides alternate so background noise hits both alike.
	wh := filepath.Join(data, "warehouse.duckdb")
	cp := filepath.Join(data, "direct.duckdb")
	if b, err := os.ReadFile(wh); err != nil {
		return err
	} else if err := os.WriteFile(cp, b, 0o644); err != nil {
		return err
	}
	if s, _, err = start(bin, data); err != nil {
		return err
	}
	defer s.stop()
	db, err := sql.Open("duckdb", cp)
	if err != nil {
		return err
	}
	defer db.Close()
	const q = "SELECT count(*), sum(x) FROM t"
	var viaKiln, direct []time.Duration
	for i := 0; i < reps+1; i++ {
		t0 := time.Now()
		if _, err := s.sql(q, "json"); err != nil {
			return err
		}
		k := time.Since(t0)
		t0 = time.Now()
		var n int64
		var sum any
		if err := db.QueryRowContext(context.Background(), q).Scan(&n, &sum); err != nil {
			return err
		}
		d := time.Since(t0)
		if i > 0 { // the first round warms both sides' caches
			viaKiln, direct = append(viaKiln, k), append(direct, d)
		}
	}
	k, d := median(viaKiln), median(direct)
	fmt.Printf("sql overhead: %q on %d rows, median of %d alternating rounds\n", q, rows, reps)
	fmt.Printf("  via kiln API (HTTP, auth, JSON): %8.2f ms\n", ms(k))
	fmt.Printf("  direct duckdb-go:                %8.2f ms\n", ms(d))
	fmt.Printf("  ratio kiln/direct:               %8.2fx\n", float64(k)/float64(d))
	return nil
}

func benchCSV(bin, counts string) error {
	for _, c := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			return err
		}
		data, _ := os.MkdirTemp("", "kiln-bench-csv-")
		s, _, err := start(bin, data)
		if err != nil {
			return err
		}
		if err := s.setupProject(); err != nil {
			s.stop()
			return err
		}
		base := s.peakRSS()
		q := fmt.Sprintf("SELECT range AS id, 'name_' || range AS name, range * 1.5 AS amount, DATE '2024-01-01' + CAST(range %% 365 AS INTEGER) AS dt FROM range(%d)", n)
		t0 := time.Now()
		resp, err := s.post("/api/v1/projects/bench/sql", map[string]any{"sql": q, "format": "csv"})
		if err != nil {
			s.stop()
			return err
		}
		lines, bytesRead := countLines(resp.Body)
		resp.Body.Close()
		el := time.Since(t0)
		peak := s.peakRSS()
		s.stop()
		os.RemoveAll(data)
		fmt.Printf("csv stream: %d rows (%d lines, %.1f MiB) in %.2f s = %.0f rows/s; server peak RSS %.0f MiB (idle %.0f MiB)\n",
			n, lines-1, float64(bytesRead)/(1<<20), el.Seconds(), float64(n)/el.Seconds(), peak, base)
	}
	return nil
}

func countLines(r io.Reader) (int, int64) {
	br := bufio.NewReaderSize(r, 1<<20)
	lines := 0
	var total int64
	buf := make([]byte, 1<<20)
	for {
		n, err := br.Read(buf)
		total += int64(n)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err != nil {
			return lines, total
		}
	}
}

func benchStartup(bin string) error {
	data, _ := os.MkdirTemp("", "kiln-bench-start-")
	defer os.RemoveAll(data)
	s, first, err := start(bin, data)
	if err != nil {
		return err
	}
	_ = s.setupProject()
	s.stop()
	var ds []time.Duration
	for i := 0; i < 10; i++ {
		s, d, err := start(bin, data)
		if err != nil {
			return err
		}
		ds = append(ds, d)
		s.stop()
	}
	fmt.Printf("startup: first start (new data dir) %.0f ms; existing data dir: median %.0f ms of 10 (process start to /healthz 200)\n", ms(first), ms(median(ds)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
