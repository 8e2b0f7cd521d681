package meta

import (
	"time"
)

// TaskType names what a task runs.
type TaskType string

// The task types of the core.
const (
	TaskSQLModel  TaskType = "sql_model"  // a SELECT written into a target table by a write mode
	TaskSQLScript TaskType = "sql_script" // several statements run in order
	TaskShell     TaskType = "shell"      // a bash script run as a subprocess
	TaskPython    TaskType = "python"     // a python3 script run as a subprocess
	TaskSync      TaskType = "sync"       // rows copied between systems (meta/sync.go)
)

// Valid reports whether t is a known task type.
func (t TaskType) Valid() bool {
	switch t {
	case TaskSQLModel, TaskSQLScript, TaskShell, TaskPython, TaskSync:
		return true
	}
	return false
}

// WriteMode says how a SQL model writes its target table. Every mode is
// idempotent: running the same period twice leaves the same rows.
type WriteMode string

// The write modes of a SQL model.
const (
	WriteOverwrite          WriteMode = "overwrite"           // replace the whole table
	WriteOverwritePartition WriteMode = "overwrite_partition" // replace the rows of one period column value
	WriteAppend             WriteMode = "append"              // add rows, tagged with the period so a rerun replaces them
	WriteMerge              WriteMode = "merge"               // upsert on a unique key
)

// Valid reports whether m is a known write mode.
func (m WriteMode) Valid() bool {
	switch m {
	case WriteOverwrite, WriteOverwritePartition, WriteAppend, WriteMerge:
		return true
	}
	return false
}

// Tier ranks tasks for scheduling slots and alerting.
type Tier string

// The task tiers.
const (
	TierCore   Tier = "core"
	TierNormal Tier = "normal"
)

// TaskStatus is whether a task takes part in scheduling.
type TaskStatus string

// The task statuses.
const (
	TaskActive  TaskStatus = "active"
	TaskPaused  TaskStatus = "paused"
	TaskOffline TaskStatus = "offline"
)

// Schedule is when a task runs: a cron expression read in a time zone.
type Schedule struct {
	Cron     string `json:"cron,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

// Duration is a time.Duration that reads and writes as text ("90s", "1h").
type Duration time.Duration

// MarshalText writes d as Go duration text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// TaskSpec is the full definition of one task as written in a project folder
// or sent through the API. It is stored whole in each task version, so a
// version says exactly what ran.
type TaskSpec struct {
	Name        string            `json:"name"`
	Type        TaskType          `json:"type"`
	Path        string            `json:"path,omitempty"` // file in the project folder, relative
	Engine      string            `json:"engine,omitempty"`
	Schedule    Schedule          `json:"schedule"`
	Upstreams   []string          `json:"upstreams,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Retries     int               `json:"retries"`
	RetryDelay  Duration          `json:"retry_delay"`
	Timeout     Duration          `json:"timeout"`
	Priority    int               `json:"priority"`
	Pool        string            `json:"pool,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Tier        Tier              `json:"tier,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Description string            `json:"description,omitempty"`

	// SQL is the SELECT of a model or the statements of a script.
	SQL string `json:"sql,omitempty"`
	// Target is the table a model writes, as [schema.]table.
	Target string `json:"target,omitempty"`
	// WriteMode is how a model writes its target.
	WriteMode WriteMode `json:"write_mode,omitempty"`
	// PartitionColumn is the period column of overwrite_partition models.
	PartitionColumn string `json:"partition_column,omitempty"`
	// PartitionValue is the value of PartitionColumn a run replaces; it
	// defaults to "${bizdate}".
	PartitionValue string `json:"partition_value,omitempty"`
	// UniqueKey is the key a merge model upserts on.
	UniqueKey []string `json:"unique_key,omitempty"`

	// Script is the body of a shell or python task.
	Script string `json:"script,omitempty"`
	// MemoryLimitMB caps a shell or python task's address space; 0 means the
	// project default.
	MemoryLimitMB int `json:"memory_limit_mb,omitempty"`
	// Sync is the definition of a sync task (meta/sync.go).
	Sync *SyncSpec `json:"sync,omitempty"`
	// Quality are the data quality rules run after each successful run (meta/quality.go).
	Quality []QualityRule `json:"quality,omitempty"`

	// DependsOnPast makes each instance wait for the task's own instance of
	// the previous period.
	DependsOnPast bool `json:"depends_on_past,omitempty"`
	// MaxConcurrent caps the task's instances running at once; 0: no cap.
	MaxConcurrent int `json:"max_concurrent,omitempty"`
	// Deadline is how long after its scheduled time an instance should have
	// finished; 0: no deadline.
	Deadline Duration `json:"deadline,omitempty"`
	// RetryMaxDelay caps the exponential backoff between retries; 0 means
	// DefaultRetryMaxDelay.
	RetryMaxDelay Duration `json:"retry_max_delay,omitempty"`
	// TimeoutAlertOnly makes a timeout publish an alert instead of killing
	// the instance.
	TimeoutAlertOnly bool `json:"timeout_alert_only,omitempty"`
	// AutoUpstreams adds the upstreams the task's SQL lineage implies
	// (docs/lineage.md).
	AutoUpstreams bool `json:"auto_upstreams,omitempty"`
}

// DefaultRetryMaxDelay caps retry backoff when a task does not.
const DefaultRetryMaxDelay = Duration(time.Hour)

// RetryDelayFor is the delay before retry number attempt (1 for the first
// retry): RetryDelay doubled per earlier retry, capped.
func (s *TaskSpec) RetryDelayFor(attempt int) time.Duration {
	d := s.RetryDelay.Std()
	ceiling := s.RetryMaxDelay.Std()
	if ceiling <= 0 {
		ceiling = DefaultRetryMaxDelay.Std()
	}
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// Task is a named unit of work in a project; its definition lives in versions.
type Task struct {
	ID             int64      `json:"id"`
	ProjectID      int64      `json:"project_id"`
	Name           string     `json:"name"`
	Type           TaskType   `json:"type"`
	Status         TaskStatus `json:"status"`
	CurrentVersion int        `json:"current_version"`
	Owner          string     `json:"owner,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Removed is set when the task left the project folder; its versions and
	// instances are kept.
	Removed bool `json:"removed,omitempty"`
}

// Version is one immutable saved definition of a task.
type Version struct {
	ID        int64     `json:"id"`
	TaskID    int64     `json:"task_id"`
	Version   int       `json:"version"`
	Spec      TaskSpec  `json:"spec"`
	Hash      string    `json:"hash"` // sha256 of the canonical spec; equal hashes mean no change
	Author    string    `json:"author,omitempty"`
	Message   string    `json:"message,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}
