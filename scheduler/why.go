package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// Why explains why an instance is not running (yet).
type Why struct {
	Instance int64      `json:"instance"`
	Task     string     `json:"task"`
	Bizdate  string     `json:"bizdate"`
	State    meta.State `json:"state"`
	// Reasons are the instance's own reasons, most important first.
	Reasons []string `json:"reasons"`
	// Chain lists the unmet upstream instances, transitively (across
	// tasks and projects), each with its own first reason.
	Chain []WhyStep `json:"chain,omitempty"`
}

// WhyStep is one unmet upstream instance.
type WhyStep struct {
	Depth   int        `json:"depth"`
	ID      int64      `json:"id"`
	Project string     `json:"project"`
	Task    string     `json:"task"`
	Bizdate string     `json:"bizdate"`
	Hour    int        `json:"hour,omitempty"`
	State   meta.State `json:"state"`
	Reason  string     `json:"reason"`
}

// maxWhyDepth bounds the walk up the chain of unmet upstreams.
const maxWhyDepth = 20

// Why explains instance id.
func (o *Ops) Why(ctx context.Context, id int64) (*Why, error) {
	inst, err := o.store.GetInstance(ctx, id)
	if err != nil {
		return nil, err
	}
	w := &Why{Instance: id, Task: inst.TaskName, Bizdate: inst.Bizdate, State: inst.State}
	names := &projectNames{store: o.store}
	now := time.Now().UTC()
	w.Reasons, err = o.reasons(ctx, inst, now)
	if err != nil {
		return nil, err
	}
	if inst.State == meta.StateWaiting && inst.Unmet > 0 {
		if err := o.chain(ctx, w, inst.ID, 1, names, map[int64]bool{inst.ID: true}, now); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (o *Ops) chain(ctx context.Context, w *Why, id int64, depth int, names *projectNames, seen map[int64]bool, now time.Time) error {
	ss, ok := o.store.(meta.ScheduleStore)
	if !ok || depth > maxWhyDepth {
		return nil
	}
	ups, err := ss.Upstreams(ctx, id)
	if err != nil {
		return err
	}
	for _, u := range ups {
		if u.State == meta.StateSuccess || u.State == meta.StateSkipped || seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		inst, err := o.store.GetInstance(ctx, u.ID)
		if err != nil {
			return err
		}
		rs, err := o.reasons(ctx, inst, now)
		if err != nil {
			return err
		}
		step := WhyStep{Depth: depth, ID: u.ID, Project: names.name(ctx, u.ProjectID), Task: u.TaskName, Bizdate: u.Bizdate,
			Hour: u.Hour, State: u.State}
		if len(rs) > 0 {
			step.Reason = rs[0]
		}
		w.Chain = append(w.Chain, step)
		if inst.State == meta.StateWaiting && inst.Unmet > 0 {
			if err := o.chain(ctx, w, u.ID, depth+1, names, seen, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// reasons lists what holds one instance back, without its upstreams' own.
func (o *Ops) reasons(ctx context.Context, inst *meta.Instance, now time.Time) ([]string, error) {
	switch {
	case inst.State == meta.StateRunning:
		return []string{fmt.Sprintf("it is running (attempt %d on %s)", inst.Attempt, inst.Worker)}, nil
	case inst.State == meta.StateUpstreamFailed:
		return []string{"an upstream instance failed: " + inst.Error + "; rerun or mark it success"}, nil
	case inst.State.Final():
		return []string{fmt.Sprintf("it is %s; it runs again only if rerun", inst.State)}, nil
	}
	var out []string
	t, err := o.store.GetTaskByID(ctx, inst.TaskID)
	if err != nil {
		return nil, err
	}
	if t.Status != meta.TaskActive {
		out = append(out, fmt.Sprintf("task %s is %s; resume it with 'kiln task resume %s'", t.Name, t.Status, t.Name))
	}
	if inst.State == meta.StateWaiting && inst.Unmet > 0 {
		out = append(out, fmt.Sprintf("waiting for %d upstream instance(s)", inst.Unmet))
	}
	switch {
	case meta.Held(inst.NotBefore):
		out = append(out, "held by its backfill's gate until fewer than --parallel periods are in flight")
	case inst.NotBefore != nil && inst.NotBefore.After(now):
		what := "waiting for its time"
		if inst.State == meta.StateQueued && inst.Attempt > 0 {
			what = "waiting for its retry delay"
		}
		out = append(out, fmt.Sprintf("%s: %s (in %s)", what, inst.NotBefore.Format(time.RFC3339), inst.NotBefore.Sub(now).Round(time.Second)))
	}
	if inst.State == meta.StateQueued && len(out) == 0 {
		full, err := o.poolFull(ctx, inst)
		if err != nil {
			return nil, err
		}
		if full != "" {
			out = append(out, full)
		} else {
			out = append(out, "queued: waiting for a free worker slot")
		}
	}
	return out, nil
}

// poolFull says whether inst's pool or its task's max_concurrent is full.
func (o *Ops) poolFull(ctx context.Context, inst *meta.Instance) (string, error) {
	running, err := o.store.ListInstances(ctx, &meta.ListInstancesParams{ProjectID: inst.ProjectID,
		States: []meta.State{meta.StateRunning}, Limit: 1000})
	if err != nil {
		return "", err
	}
	inPool, inTask := 0, 0
	for _, r := range running {
		if r.Pool == inst.Pool {
			inPool++
		}
		if r.TaskID == inst.TaskID {
			inTask++
		}
	}
	p, err := o.store.GetProjectByID(ctx, inst.ProjectID)
	if err != nil {
		return "", err
	}
	slots, ok := p.Config.Pools[inst.Pool]
	if !ok && inst.Pool == meta.DuckDBPool {
		slots, ok = meta.DefaultDuckDBSlots, true
	}
	if ok && inPool >= slots {
		return fmt.Sprintf("pool %s is full: %d of %d slots running", inst.Pool, inPool, slots), nil
	}
	if v, err := o.store.GetVersionByID(ctx, inst.VersionID); err == nil && v.Spec.MaxConcurrent > 0 && inTask >= v.Spec.MaxConcurrent {
		return fmt.Sprintf("task %s runs %d of its max_concurrent %d", inst.TaskName, inTask, v.Spec.MaxConcurrent), nil
	}
	return "", nil
}
