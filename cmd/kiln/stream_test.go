package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
)

// TestAPI_LargeResultsStream downloads results far larger than any buffer
// in every format and checks every row arrived; docs/benchmarks.md has the
// memory figures.
func TestAPI_LargeResultsStream(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	const n = 1_000_000
	q := fmt.Sprintf("SELECT range AS id, 'row ' || range AS label FROM range(%d)", n)
	for _, format := range []string{"csv", "ndjson", "json"} {
		t.Run(format, func(t *testing.T) {
			resp, err := k.client().SQL(context.Background(), "shop", &api.SQLRequest{SQL: q, Format: format})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if format == "json" {
				var res api.SQLResult
				if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
					t.Fatal(err)
				}
				if res.RowCount != n || len(res.Rows) != n || res.Rows[n-1][1] != fmt.Sprintf("row %d", n-1) {
					t.Fatalf("json: %d rows", res.RowCount)
				}
				return
			}
			sc := bufio.NewScanner(resp.Body)
			lines, last := 0, ""
			for sc.Scan() {
				lines++
				last = sc.Text()
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			want := n
			if format == "csv" {
				want++ // header
			}
			if lines != want || !strings.Contains(last, fmt.Sprintf("row %d", n-1)) {
				t.Fatalf("%s: %d lines, last %q", format, lines, last)
			}
			if e := resp.Trailer.Get("X-Kiln-Error"); e != "" {
				t.Fatalf("stream error: %s", e)
			}
		})
	}
	// A query that fails midway reports it in the trailer of the stream.
	resp, err := k.client().SQL(context.Background(), "shop", &api.SQLRequest{
		SQL: "SELECT CAST(CASE WHEN range < 900000 THEN range::VARCHAR ELSE 'x' END AS INTEGER) AS v FROM range(1000000)", Format: "csv"})
	if err != nil {
		// Failing before the first byte is a plain error answer; also fine.
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
	}
	if resp.Trailer.Get("X-Kiln-Error") == "" {
		t.Fatal("a failed stream ended without an error trailer")
	}
}
