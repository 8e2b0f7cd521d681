package metatest

import (
	"context"
	"errors"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var errBoom = errors.New("boom")

func inTxCommit(f *fixture) {
	t := f.t
	var id int64
	err := f.s.InTx(f.ctx, func(tx meta.Store) error {
		p, err := tx.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "edu"})
		if err != nil {
			return err
		}
		id = p.ID
		// The transaction reads its own writes.
		if _, err := tx.GetProject(f.ctx, "edu"); err != nil {
			return err
		}
		if _, _, err := tx.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Spec: meta.TaskSpec{Name: "t", Type: meta.TaskShell}}); err != nil {
			return err
		}
		return tx.PutSetting(f.ctx, "k", "v")
	})
	must(t, err)
	if p, err := f.s.GetProjectByID(f.ctx, id); err != nil || p.Name != "edu" {
		t.Errorf("committed project: %+v, %v", p, err)
	}
	if _, err := f.s.GetTask(f.ctx, id, "t"); err != nil {
		t.Errorf("committed task: %v", err)
	}
	if v, err := f.s.GetSetting(f.ctx, "k"); err != nil || v != "v" {
		t.Errorf("committed setting: %q, %v", v, err)
	}
}

func inTxRollback(f *fixture) {
	t := f.t
	before := f.project("before")
	_, v := f.task(before.ID, "load")
	in := f.instance(v)
	err := f.s.InTx(f.ctx, func(tx meta.Store) error {
		p, err := tx.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "edu"})
		if err != nil {
			return err
		}
		if _, _, err := tx.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Spec: meta.TaskSpec{Name: "t", Type: meta.TaskShell}}); err != nil {
			return err
		}
		if _, err := tx.TransitionInstance(f.ctx, &meta.TransitionParams{ID: in.ID, To: meta.StateQueued}); err != nil {
			return err
		}
		if err := tx.PutSetting(f.ctx, "k", "v"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	f.wantNothing("edu", "k")
	if got, err := f.s.GetInstance(f.ctx, in.ID); err != nil || got.State != meta.StateWaiting {
		t.Errorf("rolled-back move left %+v, %v", got, err)
	}
}

func inTxNested(f *fixture) {
	t := f.t
	err := f.s.InTx(f.ctx, func(tx meta.Store) error {
		if _, err := tx.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "outer"}); err != nil {
			return err
		}
		err := tx.InTx(f.ctx, func(inner meta.Store) error {
			if _, err := inner.GetProject(f.ctx, "outer"); err != nil {
				return err
			}
			_, err := inner.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "inner"})
			return err
		})
		if err != nil {
			return err
		}
		if _, err := tx.GetProject(f.ctx, "inner"); err != nil {
			return err
		}
		return errBoom // the inner call committed nothing on its own
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	f.wantNothing("outer", "")
	f.wantNothing("inner", "")
	err = f.s.InTx(f.ctx, func(tx meta.Store) error {
		return tx.InTx(f.ctx, func(inner meta.Store) error { return inner.PutSetting(f.ctx, "k", "v") })
	})
	must(t, err)
	if v, err := f.s.GetSetting(f.ctx, "k"); err != nil || v != "v" {
		t.Errorf("nested commit: %q, %v", v, err)
	}
}

func inTxPanic(f *fixture) {
	t := f.t
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not come through InTx")
			}
		}()
		_ = f.s.InTx(f.ctx, func(tx meta.Store) error {
			if _, err := tx.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "edu"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	f.wantNothing("edu", "")
	// The store must still take writes: a transaction left open would block them.
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	if _, err := f.s.CreateProject(ctx, &meta.CreateProjectParams{Name: "after"}); err != nil {
		t.Errorf("write after a panic: %v", err)
	}
}

// wantNothing checks that neither the project nor (when not empty) the
// setting exists.
func (f *fixture) wantNothing(project, setting string) {
	f.t.Helper()
	_, err := f.s.GetProject(f.ctx, project)
	wantErr(f.t, err, meta.ErrNotFound)
	if setting != "" {
		_, err := f.s.GetSetting(f.ctx, setting)
		wantErr(f.t, err, meta.ErrNotFound)
	}
}
