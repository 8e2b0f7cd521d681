package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// workDirs hands out empty working directories and takes them back. A
// directory a task left empty is reused by the next task instead of being
// removed and created again: mkdir and rmdir in one shared parent took
// about a millisecond each under load, a good part of a short task's cost.
// A directory the task wrote into is removed whole, so every task still
// starts in an empty directory of its own.
type workDirs struct {
	root string
	mu   sync.Mutex
	free []string
	next int
}

// get returns an empty directory no running task uses.
func (w *workDirs) get() (string, error) {
	w.mu.Lock()
	if n := len(w.free); n > 0 {
		dir := w.free[n-1]
		w.free = w.free[:n-1]
		w.mu.Unlock()
		return dir, nil
	}
	w.next++
	// The pid keeps the directories of several processes sharing a data
	// directory apart.
	dir := filepath.Join(w.root, "p"+strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(w.next))
	w.mu.Unlock()
	// A directory of the same name may remain from a process that had this
	// pid before and crashed.
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clear working directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create working directory: %w", err)
	}
	return dir, nil
}

// put takes back a directory after its task ended: reused when it is still
// empty, removed otherwise.
func (w *workDirs) put(dir string) {
	if !emptyDir(dir) {
		_ = os.RemoveAll(dir)
		return
	}
	w.mu.Lock()
	w.free = append(w.free, dir)
	w.mu.Unlock()
}

func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF
}
