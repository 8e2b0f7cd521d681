package query

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// DefaultRetention is how long a finished query's result is kept.
const DefaultRetention = 24 * time.Hour

// Prune deletes the spooled results of runs that ended before now minus
// the retention, and forgets those runs' in-memory state; a later page of
// such a run answers that the result is no longer kept. Files of running
// queries are never touched. It returns how many results it deleted.
func (s *Service) Prune(now time.Time) (int, error) {
	cutoff := now.Add(-s.cfg.Retention)
	ents, err := os.ReadDir(s.cfg.SpoolDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		id, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".ndjson"), 10, 64)
		if err != nil || !strings.HasSuffix(e.Name(), ".ndjson") {
			continue
		}
		s.mu.Lock()
		j, live := s.jobs[id]
		running := live && j.run.Status == meta.QueryRunning
		s.mu.Unlock()
		if running {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.cfg.SpoolDir, e.Name())); err != nil && !os.IsNotExist(err) {
			return n, err
		}
		n++
		s.mu.Lock()
		delete(s.jobs, id)
		s.mu.Unlock()
	}
	return n, nil
}

// PruneLoop prunes every interval until ctx ends.
func (s *Service) PruneLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Prune(time.Now()); err != nil {
			s.log.Warn("prune query results", "err", err)
		} else if n > 0 {
			s.log.Info("pruned query results", "count", n, "retention", s.cfg.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
