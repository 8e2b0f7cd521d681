package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// InstanceCount is how many instances a list's filter matches.
type InstanceCount struct {
	Total int `json:"total"`
}

// InstanceDetail is an instance with its attempts.
type InstanceDetail struct {
	Instance *meta.Instance  `json:"instance"`
	Attempts []*meta.Attempt `json:"attempts"`
	// Sync is a sync run's metrics (rows read and written, dirty, bytes).
	Sync *meta.SyncMetrics `json:"sync,omitempty"`
}

func (s *Server) registerInstanceRoutes() {
	filter := []param{{"task", "string", "task name"}, {"state", "string", "comma-separated states"}, {"from", "string", "bizdate from (YYYY-MM-DD)"},
		{"to", "string", "bizdate to (YYYY-MM-DD)"}, {"owner", "string", "owner of the task"}, {"tier", "string", "tier of the task's current version (core or normal)"}}
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/instances", tag: "instances", summary: "Instances, newest first",
		scope: scopeProject, act: meta.ActRead, out: []meta.Instance{},
		query: append(slices.Clip(filter), param{"limit", "integer", "page size (default 100, at most 1000)"}, param{"offset", "integer", "rows to skip"}),
		h:     s.listInstances})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/instances/count", tag: "instances", summary: "How many instances the list's filter matches",
		scope: scopeProject, act: meta.ActRead, out: InstanceCount{}, query: filter, h: s.countInstances})
	s.add(&route{method: "GET", path: "/api/v1/instances/{id}", tag: "instances", summary: "An instance with its attempts and rendered SQL",
		scope: scopeInstance, act: meta.ActRead, out: InstanceDetail{}, h: s.getInstance})
	s.add(&route{method: "GET", path: "/api/v1/instances/{id}/log", tag: "instances",
		summary: "The instance's log from an offset; with follow=true the response streams until the instance ends",
		scope:   scopeInstance, act: meta.ActRead, produces: "text/plain",
		query: []param{{"offset", "integer", "byte offset to start at"}, {"follow", "boolean", "keep streaming while the instance runs"}}, h: s.instanceLog})
	s.add(&route{method: "POST", path: "/api/v1/instances/{id}/kill", tag: "instances", summary: "Kill a queued or running instance (its process group is killed)",
		scope: scopeInstance, act: meta.ActRun, out: meta.Instance{}, h: s.killInstance})
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.instanceFilter(r, c)
	if err != nil {
		return err
	}
	if p.Limit, err = queryInt(r, "limit", 100); err != nil {
		return err
	}
	if p.Limit < 1 || p.Limit > 1000 {
		return badRequest("limit must be 1-1000, got %d", p.Limit)
	}
	if p.Offset, err = queryInt(r, "offset", 0); err != nil {
		return err
	}
	if p.Offset < 0 {
		return badRequest("offset must not be negative, got %d", p.Offset)
	}
	insts, err := s.store.ListInstances(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(insts))
	return nil
}

func (s *Server) countInstances(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.instanceFilter(r, c)
	if err != nil {
		return err
	}
	n, err := s.store.CountInstances(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InstanceCount{Total: n})
	return nil
}

// instanceFilter reads the list's filter from the query.
func (s *Server) instanceFilter(r *http.Request, c *call) (*meta.ListInstancesParams, error) {
	q := r.URL.Query()
	p := &meta.ListInstancesParams{ProjectID: c.project.ID, BizdateFrom: q.Get("from"), BizdateTo: q.Get("to"),
		Owner: strings.TrimSpace(q.Get("owner")), Tier: meta.Tier(q.Get("tier"))}
	for _, d := range []string{p.BizdateFrom, p.BizdateTo} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return nil, badRequest("from and to must be dates like 2024-03-01, got %q", d)
			}
		}
	}
	if p.Tier != "" && p.Tier != meta.TierCore && p.Tier != meta.TierNormal {
		return nil, badRequest("unknown tier %q (want core or normal)", p.Tier)
	}
	if name := q.Get("task"); name != "" {
		t, err := s.store.GetTask(r.Context(), c.project.ID, name)
		if err != nil {
			return nil, err
		}
		p.TaskID = t.ID
	}
	if st := q.Get("state"); st != "" {
		for _, v := range strings.Split(st, ",") {
			state := meta.State(strings.TrimSpace(v))
			if !state.Valid() {
				return nil, badRequest("unknown state %q (want one of %v)", v, meta.AllStates)
			}
			p.States = append(p.States, state)
		}
	}
	return p, nil
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	atts, err := s.store.ListAttempts(r.Context(), c.instance.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InstanceDetail{Instance: c.instance, Attempts: nonNil(atts), Sync: s.syncMetrics(r.Context(), c.instance)})
	return nil
}

// instanceLog writes the log from offset; when following, it keeps writing
// as the log grows and stops once the instance is final and fully read.
// X-Kiln-Log-Offset tells the client where to resume.
func (s *Server) instanceLog(w http.ResponseWriter, r *http.Request, c *call) error {
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	if offset < 0 {
		return badRequest("offset must not be negative")
	}
	follow := r.URL.Query().Get("follow") == "true"
	id := c.instance.ID
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	off := int64(offset)
	if !follow {
		b, next, err := s.logs.ReadAt(id, off, 0)
		if err != nil {
			return err
		}
		w.Header().Set("X-Kiln-Log-Offset", strconv.FormatInt(next, 10))
		_, _ = w.Write(b)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	for {
		// Read the state before the log: a final state read first guarantees
		// the log read after it is complete.
		inst, err := s.store.GetInstance(r.Context(), id)
		if err != nil {
			return err
		}
		for {
			b, next, err := s.logs.ReadAt(id, off, 1<<20)
			if err != nil {
				return err
			}
			if len(b) == 0 {
				break
			}
			if _, err := w.Write(b); err != nil {
				return nil // client went away
			}
			off = next
		}
		if flusher != nil {
			flusher.Flush()
		}
		if inst.State.Final() || r.Context().Err() != nil {
			return nil
		}
		s.logs.Wait(r.Context(), id, s.cfg.FollowPoll)
	}
}

func (s *Server) killInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	inst := c.instance
	if inst.State.Final() {
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf("instance %d is already %s", inst.ID, inst.State)}
	}
	now := time.Now().UTC()
	msg := "killed by " + c.user.Name
	done, err := s.store.TransitionInstance(r.Context(), &meta.TransitionParams{ID: inst.ID,
		From: []meta.State{meta.StateWaiting, meta.StateQueued, meta.StateRunning}, To: meta.StateKilled,
		EndedAt: &now, Error: &msg, ClearLease: true})
	if errors.Is(err, meta.ErrConflict) {
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf("instance %d changed state meanwhile; look again", inst.ID)}
	}
	if err != nil {
		return err
	}
	// A worker in this process stops at once; one elsewhere notices when it
	// next renews its lease.
	if s.disp != nil {
		s.disp.Kill(inst.ID)
	}
	s.audit(r.Context(), c.user, c.project.ID, "instance.kill", strconv.FormatInt(inst.ID, 10), "")
	writeJSON(w, http.StatusOK, done)
	return nil
}
