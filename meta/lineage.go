package meta

import (
	"context"
	"time"
)

// LineageStore keeps the SQL lineage of task versions and the record of
// which instance wrote which table (the data map's update records). The
// SQLite and Postgres stores implement it; find it on a Store by type
// assertion.
type LineageStore interface {
	// PutTaskLineage saves the lineage of one task version, replacing what
	// was saved for that version before.
	PutTaskLineage(ctx context.Context, l *TaskLineage) error
	// ListTaskLineage returns the saved lineage of the current version of
	// every task of a project that has one (removed tasks excluded), by
	// task name.
	ListTaskLineage(ctx context.Context, projectID int64) ([]*TaskLineage, error)
	// AddTableWrite records that an instance wrote a table.
	AddTableWrite(ctx context.Context, w *TableWrite) error
	// ListTableWrites lists the writes of a table, newest first; limit <= 0
	// means 100.
	ListTableWrites(ctx context.Context, projectID int64, table string, limit int) ([]*TableWrite, error)
}

// LineageEdge is one column-level edge; an unresolved source is "?.col".
type LineageEdge struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// TaskLineage is the lineage of one task version, computed from its SQL
// rendered with a fixed sample date.
type TaskLineage struct {
	ProjectID  int64         `json:"project_id"`
	TaskID     int64         `json:"task_id"`
	TaskName   string        `json:"task"`
	Version    int           `json:"version"`
	Dialect    string        `json:"dialect"`
	Sources    []string      `json:"sources"`
	Targets    []string      `json:"targets"`
	Columns    []LineageEdge `json:"columns"`
	Error      string        `json:"error,omitempty"` // why no lineage (parse error)
	ComputedAt time.Time     `json:"computed_at"`
}

// TableWrite is one instance writing one table.
type TableWrite struct {
	ID         int64     `json:"id"`
	ProjectID  int64     `json:"project_id"`
	Table      string    `json:"table"`
	InstanceID int64     `json:"instance_id"`
	TaskName   string    `json:"task"`
	Bizdate    string    `json:"bizdate"`
	Rows       int64     `json:"rows"`
	DurationMS int64     `json:"duration_ms"`
	At         time.Time `json:"at"`
}
