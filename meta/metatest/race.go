package metatest

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// racers is how many goroutines the race tests run at once.
const racers = 8

// race runs fn on racers goroutines at once and returns their errors.
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// transitionsConcurrent has several movers take one queued instance to
// running at once: one wins, the others see ErrConflict, and there is one
// attempt.
func transitionsConcurrent(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.instance(v, queued)
	errs := race(func(int) error {
		_, err := f.s.TransitionInstance(f.ctx, &meta.TransitionParams{
			ID: in.ID, From: []meta.State{meta.StateQueued}, To: meta.StateRunning, StartedAt: ptr(time.Now()),
		})
		return err
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, meta.ErrConflict):
			t.Errorf("a losing mover got %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d movers won, want 1", won)
	}
	as, err := f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 1 {
		t.Errorf("%d attempts, want 1", len(as))
	}
}

// versionsConcurrent saves versions of one task at once: each gets its own
// number and none fails.
func versionsConcurrent(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, _ := f.task(p.ID, "load")
	nums := make([]int, racers)
	errs := race(func(i int) error {
		v, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: meta.TaskSpec{Type: meta.TaskShell}})
		if err == nil {
			nums[i] = v.Version
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("concurrent AddVersion: %v", err)
		}
	}
	slices.Sort(nums)
	want := []int{2, 3, 4, 5, 6, 7, 8, 9}
	if !slices.Equal(nums, want) {
		t.Errorf("versions %v, want %v", nums, want)
	}
	got, err := f.s.GetTaskByID(f.ctx, task.ID)
	must(t, err)
	if got.CurrentVersion != racers+1 {
		t.Errorf("current version %d, want %d", got.CurrentVersion, racers+1)
	}
}
