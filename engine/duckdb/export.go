//go:build cgo

package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/engine"
)

var _ engine.Exporter = (*Engine)(nil)

// Export streams a query's result through DuckDB's own COPY writer into a
// named pipe that this function reads and copies to w. The Go driver
// materializes every query result in memory; COPY does not, so an export
// of any size runs in constant memory (and DuckDB writes CSV on all cores).
func (e *Engine) Export(ctx context.Context, query, format string, w io.Writer) (int64, error) {
	var opts string
	switch format {
	case "csv":
		opts = "FORMAT csv, HEADER true"
	case "ndjson":
		opts = "FORMAT json"
	case "parquet":
		opts = "FORMAT parquet"
	default:
		return 0, fmt.Errorf("duckdb export: unknown format %q (want csv, ndjson or parquet)", format)
	}
	dir, err := os.MkdirTemp("", "kiln-export-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	fifo := filepath.Join(dir, "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return 0, fmt.Errorf("duckdb export: make pipe: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// COPY runs in the background; its result is read once it has ended.
	var res struct {
		n   int64
		err error
	}
	execDone := make(chan struct{})
	readerDone := make(chan struct{})
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	stmt := fmt.Sprintf("COPY (%s) TO %s (%s)", query, dialect{}.QuoteString(fifo), opts)
	go func() {
		res.n, res.err = e.Exec(ctx, stmt)
		close(execDone)
		unblockReader(fifo, readerDone)
	}()

	rf, err := os.Open(fifo) // returns once DuckDB (or unblockReader) opens the write end
	if err != nil {
		close(readerDone)
		cancel()
		<-execDone
		return 0, err
	}
	// A COPY that fails or is interrupted does not always close its end of
	// the pipe (seen with an interrupt that lands as COPY starts), so the
	// reader would wait for an EOF that never comes: once COPY has failed,
	// the read is ended by a deadline instead.
	copied := make(chan struct{})
	go func() {
		select {
		case <-execDone:
			if res.err != nil {
				_ = rf.SetReadDeadline(time.Now())
			}
		case <-copied:
		}
	}()
	_, copyErr := io.Copy(w, rf)
	close(copied)
	if copyErr != nil {
		// The client went away: stop DuckDB, and drain the pipe so a write
		// blocked on a full pipe can see the interrupt.
		cancel()
		_ = rf.SetReadDeadline(time.Time{})
		drainUntil(rf, execDone)
	}
	rf.Close()
	close(readerDone)
	<-execDone
	if res.err != nil {
		return 0, res.err
	}
	return res.n, copyErr
}

// drainUntil reads and discards rf until COPY has ended, so that a write
// blocked on a full pipe sees the interrupt, then stops even if DuckDB
// keeps its end of the pipe open.
func drainUntil(rf *os.File, execDone <-chan struct{}) {
	go func() {
		<-execDone
		_ = rf.SetReadDeadline(time.Now())
	}()
	_, _ = io.Copy(io.Discard, rf)
}

// unblockReader opens and closes the pipe's write end, so that a reader
// still blocked in open (COPY failed before opening the pipe) gets EOF.
// It gives up once the reader is done.
func unblockReader(fifo string, readerDone <-chan struct{}) {
	for {
		select {
		case <-readerDone:
			return
		default:
		}
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
			return
		}
		if !errors.Is(err, syscall.ENXIO) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
