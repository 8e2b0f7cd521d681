package metatest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// randEnv is a store with random instance histories (SummaryMatchesExact).
type randEnv struct {
	t     *testing.T
	s     summaryStore
	db    RawSummaryDB
	ctx   context.Context
	projs []int64
	tasks [][2]int64 // task id, project id
	ins   []int64
	rng   *rand.Rand
}

func (e *randEnv) setup() {
	owners := []string{"ann", "bob", ""}
	tiers := []meta.Tier{meta.TierCore, meta.TierNormal, ""}
	for i := range 2 {
		p, err := e.s.CreateProject(e.ctx, &meta.CreateProjectParams{Name: fmt.Sprintf("p%d", i)})
		if err != nil {
			e.t.Fatal(err)
		}
		e.projs = append(e.projs, p.ID)
		for j := range 3 {
			tk, _, err := e.s.CreateTask(e.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Hash: "h",
				Spec: meta.TaskSpec{Name: fmt.Sprintf("t%d", j), Type: meta.TaskSQLScript, SQL: "SELECT 1", Owner: owners[j], Tier: tiers[j]}})
			if err != nil {
				e.t.Fatal(err)
			}
			e.tasks = append(e.tasks, [2]int64{tk.ID, p.ID})
		}
	}
}

func (e *randEnv) check(step string) bool {
	e.t.Helper()
	ok := true
	for _, g := range []meta.SummaryGroup{meta.GroupNone, meta.GroupOwner, meta.GroupTier, meta.GroupProject} {
		for _, top := range []int{0, 1} {
			for _, f := range [][2]string{{"", ""}, {"ann", ""}, {"", "normal"}} {
				if top > 0 && g == meta.GroupNone {
					continue
				}
				p := &meta.SummaryParams{BizdateFrom: "2024-03-01", BizdateTo: "2024-03-03", GroupBy: g, Top: top, Owner: f[0], Tier: f[1]}
				got, err := e.s.OpsSummary(e.ctx, p)
				if err != nil {
					e.t.Fatal(err)
				}
				want, err := e.db.Exact(e.ctx, p)
				if err != nil {
					e.t.Fatal(err)
				}
				if err := SameSummary(got, want); err != nil {
					e.t.Errorf("%s: %+v: %v", step, *p, err)
					ok = false
				}
			}
		}
	}
	return ok
}

func (e *randEnv) task() ([2]int64, int64) {
	tk := e.tasks[e.rng.IntN(len(e.tasks))]
	t, err := e.s.GetTaskByID(e.ctx, tk[0])
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := e.s.GetVersion(e.ctx, t.ID, t.CurrentVersion)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk, v.ID
}

var randDays = []string{"2024-03-01", "2024-03-02", "2024-03-03"}

func (e *randEnv) step(i int) string {
	ctx := e.ctx
	r := e.rng
	switch k := r.IntN(20); {
	case k < 4 || len(e.ins) == 0:
		tk, vid := e.task()
		in, err := e.s.CreateInstance(ctx, &meta.CreateInstanceParams{ProjectID: tk[1], TaskID: tk[0], VersionID: vid,
			Bizdate: randDays[r.IntN(3)], State: meta.StateWaiting, Trigger: meta.TriggerManual})
		if err != nil {
			e.t.Fatal(err)
		}
		e.ins = append(e.ins, in.ID)
		return "create"
	case k < 13:
		id := e.ins[r.IntN(len(e.ins))]
		to := meta.AllStates[r.IntN(len(meta.AllStates))]
		base := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
		tp := &meta.TransitionParams{ID: id, To: to, ResetRun: r.IntN(3) == 0, ClearLease: true}
		if to.Final() && r.IntN(2) == 0 {
			end := base.Add(time.Duration(r.IntN(200000)) * time.Millisecond)
			tp.StartedAt, tp.EndedAt = &base, &end
			c := float64(r.IntN(1000)) / 7
			tp.CPUSeconds = &c
		}
		_, err := e.s.TransitionInstance(ctx, tp)
		if err != nil && !isConflict(err) {
			e.t.Fatal(err)
		}
		return fmt.Sprintf("transition %d -> %s", id, to)
	case k < 14:
		id := e.ins[r.IntN(len(e.ins))]
		dl := time.Date(2024, 3, 2, 0, 1, 0, 0, time.UTC)
		err := e.db.Exec(ctx, `UPDATE instances SET deadline = ? WHERE id = ?`, e.db.Time(dl), id)
		if err != nil {
			e.t.Fatal(err)
		}
		return "deadline"
	case k < 15:
		id := e.ins[r.IntN(len(e.ins))]
		err := e.db.Exec(ctx, `UPDATE instances SET bizdate = ? WHERE id = ?`, randDays[r.IntN(3)], id)
		if err != nil {
			e.t.Fatal(err)
		}
		return "bizdate"
	case k < 16:
		id := e.ins[r.IntN(len(e.ins))]
		err := e.db.Exec(ctx, `UPDATE instances SET project_id = ? WHERE id = ?`, e.projs[r.IntN(2)], id)
		if err != nil {
			e.t.Fatal(err)
		}
		return "project"
	case k < 17:
		j := r.IntN(len(e.ins))
		err := e.db.Exec(ctx, `DELETE FROM instances WHERE id = ?`, e.ins[j])
		if err != nil {
			e.t.Fatal(err)
		}
		e.ins = append(e.ins[:j], e.ins[j+1:]...)
		return "delete"
	case k < 18:
		started, ended := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 2, 0, 0, 1, 0, time.UTC)
		id, err := e.db.QueryID(ctx, `INSERT INTO instances (project_id, task_id, version_id, bizdate, state, trigger_kind, created_at,
			started_at, ended_at, duration_ms, cpu_seconds) SELECT project_id, task_id, version_id, bizdate, 'success', 'manual', created_at,
			?, ?, 1000 + ?, 0.3 FROM instances WHERE id = ? RETURNING id`,
			e.db.Time(started), e.db.Time(ended), r.IntN(5000), e.ins[r.IntN(len(e.ins))])
		if err != nil {
			e.t.Fatal(err)
		}
		e.ins = append(e.ins, id)
		return "insert final"
	case k < 19:
		tk := e.tasks[r.IntN(len(e.tasks))]
		tt, err := e.s.GetTaskByID(ctx, tk[0])
		if err != nil {
			e.t.Fatal(err)
		}
		owners := []string{"ann", "bob", "cat"}
		tiers := []meta.Tier{meta.TierCore, meta.TierNormal, ""}
		_, err = e.s.AddVersion(ctx, &meta.AddVersionParams{TaskID: tk[0], Hash: fmt.Sprint(i),
			Spec: meta.TaskSpec{Name: tt.Name, Type: meta.TaskSQLScript, SQL: fmt.Sprintf("SELECT %d", i), Owner: owners[r.IntN(3)], Tier: tiers[r.IntN(3)]}})
		if err != nil {
			e.t.Fatal(err)
		}
		return "version"
	default:
		// move a final instance to another version of its task
		id := e.ins[r.IntN(len(e.ins))]
		err := e.db.Exec(ctx, `UPDATE instances SET version_id = (SELECT max(id) FROM task_versions v WHERE v.task_id = instances.task_id) WHERE id = ?`, id)
		if err != nil {
			e.t.Fatal(err)
		}
		return "version_id"
	}
}

func isConflict(err error) bool { return errors.Is(err, meta.ErrConflict) }

// summaryStore is what the random histories use of a store.
type summaryStore interface {
	meta.Store
	meta.SummaryStore
}

// RawSummaryDB is what SummaryMatchesExact needs of a store besides its
// API: statements on its tables (written with ? placeholders), how it
// stores times, and the summary computed straight from the instances.
type RawSummaryDB struct {
	Exec    func(ctx context.Context, query string, args ...any) error
	QueryID func(ctx context.Context, query string, args ...any) (int64, error)
	Time    func(time.Time) any
	Exact   func(ctx context.Context, p *meta.SummaryParams) ([]*meta.SummaryRow, error)
}

// SummaryMatchesExact checks that a store's rollups keep the summary equal
// to the summary computed from the instances, over random histories:
// instances created, moved through every state (with and without a run
// reset), given deadlines, moved to another bizdate, project or version,
// deleted, inserted already final, and new versions changing owner and
// tier. Every grouping, top and filter is compared after every step.
func SummaryMatchesExact(t *testing.T, s summaryStore, db RawSummaryDB, seed uint64, steps int) {
	t.Helper()
	e := &randEnv{t: t, s: s, db: db, ctx: t.Context(), rng: rand.New(rand.NewPCG(seed, 1))}
	e.setup()
	for i := range steps {
		what := e.step(i)
		if !e.check(fmt.Sprintf("step %d %s", i, what)) {
			return
		}
	}
}
