package query

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kilnhq/kiln/engine"
)

// source is a result being read row by row, whatever the engine.
type source struct {
	cols  []engine.Column
	next  func() ([]any, error) // io.EOF at the end
	close func() error
}

// columnsOf finds a query's result columns without running it for real:
// the engine plans the query with no rows wanted.
func columnsOf(ctx context.Context, eng engine.Engine, sql string) ([]engine.Column, error) {
	rows, err := eng.Query(ctx, "SELECT * FROM ("+trim(sql)+") AS kiln_q LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Columns(), rows.Err()
}

func trim(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	}
	return s
}

// open starts a query. An engine that can export (DuckDB) writes NDJSON
// through its constant-memory COPY path, which this decodes back into rows
// in column order; others stream through engine.Rows.
func open(ctx context.Context, eng engine.Engine, sql string) (*source, error) {
	if x, ok := engine.AsExporter(eng); ok {
		cols, err := columnsOf(ctx, eng, sql)
		if err != nil {
			return nil, err
		}
		if uniqueNames(cols) {
			return exportSource(ctx, x, sql, cols), nil
		}
	}
	rows, err := eng.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return &source{cols: rows.Columns(), close: rows.Close, next: func() ([]any, error) {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		return rows.Values()
	}}, nil
}

func uniqueNames(cols []engine.Column) bool {
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			return false
		}
		seen[c.Name] = true
	}
	return true
}

func exportSource(ctx context.Context, x engine.Exporter, sql string, cols []engine.Column) *source {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := x.Export(ctx, sql, "ndjson", pw)
		pw.CloseWithError(err)
		done <- err
	}()
	dec := json.NewDecoder(bufio.NewReaderSize(pr, 64<<10))
	dec.UseNumber()
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c.Name] = i
	}
	row := make([]any, len(cols))
	return &source{cols: cols,
		next: func() ([]any, error) {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				if errors.Is(err, io.EOF) {
					return nil, io.EOF
				}
				return nil, err
			}
			clear(row)
			for k, v := range obj {
				i, ok := index[k]
				if !ok {
					return nil, fmt.Errorf("export returned an unknown column %q", k)
				}
				row[i] = jsonNumber(v)
			}
			return row, nil
		},
		close: func() error {
			cancel()
			_ = pr.Close()
			err := <-done
			if errors.Is(err, context.Canceled) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return err
		}}
}

// jsonNumber turns a json.Number into int64 or float64.
func jsonNumber(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}
