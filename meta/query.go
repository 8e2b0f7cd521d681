package meta

import (
	"context"
	"time"
)

// QueryStore keeps what self-service query needs: the history of query runs,
// saved queries and table-level read grants. The SQLite and Postgres stores
// implement it; find it on a Store by type assertion.
type QueryStore interface {
	// CreateQueryRun records a run that just started and sets its ID.
	CreateQueryRun(ctx context.Context, r *QueryRun) error
	// FinishQueryRun records how a run ended.
	FinishQueryRun(ctx context.Context, p *FinishQueryRunParams) error
	GetQueryRun(ctx context.Context, id int64) (*QueryRun, error)
	// ListQueryRuns lists runs newest first.
	ListQueryRuns(ctx context.Context, p *ListQueryRunsParams) ([]*QueryRun, error)

	// SaveQuery creates a saved query, or replaces the SQL, engine and
	// sharing of the one with the same project, owner, folder and name.
	SaveQuery(ctx context.Context, q *SavedQuery) error
	GetSavedQuery(ctx context.Context, id int64) (*SavedQuery, error)
	// ListSavedQueries lists the queries user owns in a project and those
	// others shared there, by folder then name.
	ListSavedQueries(ctx context.Context, projectID int64, user string) ([]*SavedQuery, error)
	DeleteSavedQuery(ctx context.Context, id int64) error

	// GrantTable lets a user read a table of a project (idempotent).
	GrantTable(ctx context.Context, g *TableGrant) error
	RevokeTable(ctx context.Context, projectID int64, user, table string) error
	// ListTableGrants lists a project's grants by table then user.
	ListTableGrants(ctx context.Context, projectID int64) ([]*TableGrant, error)
}

// QueryStatus is where a query run is.
type QueryStatus string

// Query run states; a run ends in one of the last four.
const (
	QueryRunning   QueryStatus = "running"
	QuerySucceeded QueryStatus = "succeeded"
	QueryFailed    QueryStatus = "failed"
	QueryCanceled  QueryStatus = "canceled"
	QueryTimedOut  QueryStatus = "timed_out"
)

// QueryRun is one ad-hoc query in a user's history.
type QueryRun struct {
	ID        int64       `json:"id"`
	ProjectID int64       `json:"project_id"`
	UserName  string      `json:"user"`
	Engine    string      `json:"engine"`
	SQL       string      `json:"sql"`
	Status    QueryStatus `json:"status"`
	StartedAt time.Time   `json:"started_at"`
	EndedAt   *time.Time  `json:"ended_at,omitempty"`
	Rows      int64       `json:"rows"`
	Truncated bool        `json:"truncated"`
	Error     string      `json:"error,omitempty"`
}

// FinishQueryRunParams say how a run ended.
type FinishQueryRunParams struct {
	ID        int64
	Status    QueryStatus
	EndedAt   time.Time
	Rows      int64
	Truncated bool
	Error     string
}

// ListQueryRunsParams filter the history; zero fields do not filter.
type ListQueryRunsParams struct {
	ProjectID int64
	UserName  string
	Status    QueryStatus
	Limit     int // 0 means 100
}

// SavedQuery is a named query kept in a folder, optionally shared with the
// project's members.
type SavedQuery struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Owner     string    `json:"owner"`
	Folder    string    `json:"folder"`
	Name      string    `json:"name"`
	Engine    string    `json:"engine,omitempty"`
	SQL       string    `json:"sql"`
	Shared    bool      `json:"shared"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TableGrant lets a user read one table ("schema.table" or "table", lower
// case) of a project's engines.
type TableGrant struct {
	ProjectID int64     `json:"project_id"`
	UserName  string    `json:"user"`
	Table     string    `json:"table"`
	GrantedBy string    `json:"granted_by"`
	CreatedAt time.Time `json:"created_at"`
}
