package meta

import "time"

// State is where an instance is in its life. The one state machine:
//
//	waiting → queued → running → success | failed | killed
//	waiting → skipped | upstream_failed | killed
//	queued  → killed
//	failed | killed | upstream_failed → queued (rerun / retry)
//	any final state → success (mark success) or failed (mark failed) by an operator
type State string

// The instance states.
const (
	StateWaiting        State = "waiting"
	StateQueued         State = "queued"
	StateRunning        State = "running"
	StateSuccess        State = "success"
	StateFailed         State = "failed"
	StateKilled         State = "killed"
	StateSkipped        State = "skipped"
	StateUpstreamFailed State = "upstream_failed"
)

// AllStates lists every state in display order.
var AllStates = []State{StateWaiting, StateQueued, StateRunning, StateSuccess, StateFailed, StateKilled, StateSkipped, StateUpstreamFailed}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, v := range AllStates {
		if v == s {
			return true
		}
	}
	return false
}

// Final reports whether nothing more happens to an instance in state s unless
// someone acts on it.
func (s State) Final() bool {
	switch s {
	case StateSuccess, StateFailed, StateKilled, StateSkipped, StateUpstreamFailed:
		return true
	}
	return false
}

var transitions = map[State][]State{
	StateWaiting:        {StateQueued, StateSkipped, StateUpstreamFailed, StateKilled, StateSuccess, StateFailed},
	StateQueued:         {StateRunning, StateKilled, StateWaiting, StateSuccess, StateFailed},
	StateRunning:        {StateSuccess, StateFailed, StateKilled, StateQueued},
	StateSuccess:        {StateQueued, StateWaiting, StateFailed},
	StateFailed:         {StateQueued, StateWaiting, StateSuccess},
	StateKilled:         {StateQueued, StateWaiting, StateSuccess, StateFailed},
	StateSkipped:        {StateQueued, StateWaiting, StateSuccess, StateFailed},
	StateUpstreamFailed: {StateQueued, StateWaiting, StateSuccess, StateFailed, StateKilled},
}

// CanTransition reports whether the state machine allows from → to.
// running → queued is a retry or a recovered lease.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Trigger says why an instance exists.
type Trigger string

// The instance triggers.
const (
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerBackfill Trigger = "backfill"
	TriggerRerun    Trigger = "rerun"
)

// Instance is one run of one task version for one period. Attempts (retries)
// share the instance; each attempt is recorded as an Attempt.
type Instance struct {
	ID        int64   `json:"id"`
	ProjectID int64   `json:"project_id"`
	TaskID    int64   `json:"task_id"`
	TaskName  string  `json:"task_name"`
	VersionID int64   `json:"version_id"`
	Version   int     `json:"version"`
	Bizdate   string  `json:"bizdate"` // the logical date, YYYY-MM-DD
	Hour      int     `json:"hour"`    // the logical hour of hourly periods, 0 for daily ones
	State     State   `json:"state"`
	Trigger   Trigger `json:"trigger"`
	Priority  int     `json:"priority"`
	Pool      string  `json:"pool,omitempty"`
	Attempt   int     `json:"attempt"` // 1 for the first run; 0 before it ran
	// Params are the parameters given at run time, on top of the task's own.
	Params    map[string]string `json:"params,omitempty"`
	CreatedBy string            `json:"created_by,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	QueuedAt   *time.Time `json:"queued_at,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	DurationMs int64      `json:"duration_ms"`

	RowsWritten int64 `json:"rows_written"`
	// Rendered is the SQL or command exactly as it ran.
	Rendered string `json:"rendered,omitempty"`
	// Error is the first lines of what went wrong.
	Error string `json:"error,omitempty"`
	// CPUSeconds is the user+system CPU time of subprocess tasks.
	CPUSeconds float64 `json:"cpu_seconds"`

	Worker     string     `json:"worker,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`

	// Scheduling. NotBefore holds a planned instance until its time and a
	// retry for its delay; Unmet counts upstream instances not yet
	// succeeded; Deadline is when it should have finished.
	NotBefore   *time.Time `json:"not_before,omitempty"`
	Unmet       int        `json:"unmet"`
	Deadline    *time.Time `json:"deadline,omitempty"`
	PeriodStart *time.Time `json:"period_start,omitempty"`
	PeriodEnd   *time.Time `json:"period_end,omitempty"`
	BackfillID  int64      `json:"backfill_id,omitempty"`
}

// Attempt records one try of an instance.
type Attempt struct {
	InstanceID int64      `json:"instance_id"`
	Attempt    int        `json:"attempt"`
	State      State      `json:"state"`
	Worker     string     `json:"worker,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}
