// Package logstore keeps each instance's log in a file under the data
// directory, lets readers follow a log while it is written, and prunes logs
// past their retention.
package logstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Store writes and reads instance logs.
type Store struct {
	dir string

	mu      sync.Mutex
	changed map[int64]chan struct{} // closed and replaced on every write
	made    sync.Map                // subdirectories known to exist
}

// New returns a Store rooted at dir, creating it.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	return &Store{dir: dir, changed: map[int64]chan struct{}{}}, nil
}

// Path is the file that holds an instance's log.
func (s *Store) Path(id int64) string {
	return filepath.Join(s.dir, strconv.FormatInt(id/1000, 10), strconv.FormatInt(id, 10)+".log")
}

// Writer appends to an instance's log; every write wakes its followers.
type Writer struct {
	s  *Store
	id int64
	mu sync.Mutex
	f  *os.File
}

// Open returns a Writer appending to an instance's log.
func (s *Store) Open(id int64) (*Writer, error) {
	p := s.Path(id)
	// One subdirectory holds a thousand logs: make it once, not a stat
	// per run (file system calls were a good part of a short task's cost).
	sub := filepath.Dir(p)
	if _, ok := s.made.Load(sub); !ok {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		s.made.Store(sub, true)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if errors.Is(err, fs.ErrNotExist) { // the subdirectory was removed meanwhile
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &Writer{s: s, id: id, f: f}, nil
}

// Write appends b. It is safe for concurrent use (stdout and stderr of one
// process write to the same log).
func (w *Writer) Write(b []byte) (int, error) {
	w.mu.Lock()
	n, err := w.f.Write(b)
	w.mu.Unlock()
	w.s.notify(w.id)
	return n, err
}

// Printf writes a timestamped line.
func (w *Writer) Printf(format string, args ...any) {
	line := time.Now().UTC().Format("2006-01-02 15:04:05.000") + " " + fmt.Sprintf(format, args...)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line += "\n"
	}
	_, _ = w.Write([]byte(line))
}

// File is the log file itself, for a subprocess to write to directly
// (O_APPEND keeps its lines and Kiln's in order). Followers see such writes
// on their next poll.
func (w *Writer) File() *os.File { return w.f }

// Close closes the file and wakes followers one last time.
func (w *Writer) Close() error {
	err := w.f.Close()
	w.s.notify(w.id)
	return err
}

func (s *Store) notify(id int64) {
	s.mu.Lock()
	if ch, ok := s.changed[id]; ok {
		close(ch)
		delete(s.changed, id)
	}
	s.mu.Unlock()
}

// ReadAt returns the log from offset on, at most max bytes (0: all), and
// the offset after it. A log not yet written is empty.
func (s *Store) ReadAt(id, offset int64, max int) ([]byte, int64, error) {
	f, err := os.Open(s.Path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, offset, nil
	}
	if err != nil {
		return nil, offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, offset, err
	}
	var r io.Reader = f
	if max > 0 {
		r = io.LimitReader(f, int64(max))
	}
	b, err := io.ReadAll(r)
	return b, offset + int64(len(b)), err
}

// Wait blocks until the log of id is written to, ctx ends, or d passes.
// Followers in other processes rely on d to poll.
func (s *Store) Wait(ctx context.Context, id int64, d time.Duration) {
	s.mu.Lock()
	ch, ok := s.changed[id]
	if !ok {
		ch = make(chan struct{})
		s.changed[id] = ch
	}
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-t.C:
	}
}

// Prune deletes logs last written before cutoff and returns how many.
func (s *Store) Prune(cutoff time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".log" {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if fi.ModTime().Before(cutoff) {
			if err := os.Remove(path); err == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}
