package meta

import (
	"context"
	"strings"
	"time"
)

// Period says which period of an upstream task a dependency waits for.
type Period string

// The dependency period mappings.
const (
	PeriodSame     Period = "same"     // the upstream instances whose periods overlap the downstream's
	PeriodPrevious Period = "previous" // those overlapping the downstream's previous period
)

// Upstream is one parsed entry of TaskSpec.Upstreams. In a spec an upstream
// is written "[project.]task[@previous]", so that plain task names keep
// working and the hash of existing specs does not change.
type Upstream struct {
	Project string // empty: the task's own project
	Task    string
	Period  Period
}

// ParseUpstream reads "[project.]task[@previous]".
func ParseUpstream(s string) Upstream {
	u := Upstream{Period: PeriodSame}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		u.Period, s = Period(s[i+1:]), s[:i]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		u.Project, s = s[:i], s[i+1:]
	}
	u.Task = s
	return u
}

// String writes u back as "[project.]task[@previous]".
func (u Upstream) String() string {
	s := u.Task
	if u.Project != "" {
		s = u.Project + "." + s
	}
	if u.Period != "" && u.Period != PeriodSame {
		s += "@" + string(u.Period)
	}
	return s
}

// PlanRef is an instance as the planner and the dependency views see it.
type PlanRef struct {
	ID          int64      `json:"id"`
	ProjectID   int64      `json:"project_id"`
	TaskID      int64      `json:"task_id"`
	TaskName    string     `json:"task_name"`
	Bizdate     string     `json:"bizdate"`
	Hour        int        `json:"hour"`
	PeriodStart time.Time  `json:"period_start"`
	PeriodEnd   time.Time  `json:"period_end"`
	State       State      `json:"state"`
	Trigger     Trigger    `json:"trigger"`
	BackfillID  int64      `json:"backfill_id,omitempty"`
	Unmet       int        `json:"unmet"`
	NotBefore   *time.Time `json:"not_before,omitempty"`
}

// ListPeriodParams ask for instances whose periods overlap [From, To).
type ListPeriodParams struct {
	TaskIDs    []int64 // nil: every task
	From, To   time.Time
	Trigger    Trigger // TriggerSchedule or TriggerBackfill
	BackfillID int64   // with TriggerBackfill
}

// PlanInstanceParams are a planned instance. Scheduled instances are unique
// per (task, period start); backfill ones per (backfill, task, period start).
type PlanInstanceParams struct {
	ProjectID   int64
	TaskID      int64
	VersionID   int64
	Bizdate     string
	Hour        int
	PeriodStart time.Time
	PeriodEnd   time.Time
	NotBefore   time.Time
	Deadline    *time.Time
	Trigger     Trigger
	BackfillID  int64
	Priority    int
	Pool        string
	CreatedBy   string
}

// ScheduleStore is what the scheduler needs beyond Store. Both metadata
// stores implement it, on the Store InTx hands out too. Moves between
// states keep dependencies in step inside TransitionInstance itself:
//
//   - entering success or skipped decrements the unmet count of the
//     instance's downstream instances and queues those that reach 0 and are
//     due (not_before ≤ now), in the same transaction; leaving it increments;
//   - entering failed or killed marks waiting downstream instances
//     upstream_failed, transitively; leaving failed, killed or
//     upstream_failed for queued or waiting brings them back to waiting.
type ScheduleStore interface {
	// ListPeriodInstances lists instances whose periods overlap [From, To).
	ListPeriodInstances(ctx context.Context, p *ListPeriodParams) ([]*PlanRef, error)
	// PlanInstance creates a waiting instance, or returns the existing one
	// with the same key and created=false.
	PlanInstance(ctx context.Context, p *PlanInstanceParams) (ref *PlanRef, created bool, err error)
	// SetUpstreams replaces the instance's upstream edges, recounts its
	// unmet upstreams and, when it is waiting, due and has none, queues it.
	SetUpstreams(ctx context.Context, id int64, ups []int64, now time.Time) (unmet int, err error)
	// Upstreams and Downstreams list an instance's direct neighbours.
	Upstreams(ctx context.Context, id int64) ([]*PlanRef, error)
	Downstreams(ctx context.Context, id int64) ([]*PlanRef, error)
	// PromoteDue queues waiting instances with no unmet upstream whose
	// not_before has come, and returns how many.
	PromoteDue(ctx context.Context, now time.Time) (int, error)
	// NextDue is the earliest not_before of a waiting instance with no unmet
	// upstream, or of a queued one still held back (a retry's delay).
	NextDue(ctx context.Context) (*time.Time, error)
	// AcquireLease takes or renews the named lease for holder until until,
	// when it is free, expired or already the holder's.
	AcquireLease(ctx context.Context, name, holder string, until, now time.Time) (bool, error)
	// ReleaseLease gives the lease up if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// CreateBackfill records a backfill and returns its id.
	CreateBackfill(ctx context.Context, p *CreateBackfillParams) (int64, error)
}

// CreateBackfillParams describe a backfill.
type CreateBackfillParams struct {
	ProjectID int64
	Tasks     []string
	From, To  string
	Parallel  int
	CreatedBy string
}
