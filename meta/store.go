// Package meta holds Kiln's domain types (projects, tasks, versions,
// instances, users) and the Store interface the metadata stores implement.
// It depends on the standard library only.
package meta

import (
	"context"
	"errors"
	"time"
)

// Errors callers branch on. Stores wrap them with context.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// TokenTouchInterval is how stale a token's last-used time may get before
// a use writes it again.
const TokenTouchInterval = time.Minute

// Store is the metadata store: SQLite by default, Postgres at scale. Every
// implementation passes the conformance suite in meta/metatest.
type Store interface {
	// InTx runs fn in one transaction; fn's store sees and makes changes that
	// commit only if fn returns nil. Nested InTx calls join the outer one.
	// fn may run more than once (Postgres retries a deadlock victim in a
	// fresh transaction): it must reset whatever it builds outside the
	// store at its start.
	InTx(ctx context.Context, fn func(tx Store) error) error
	Close() error
	PoolStore // meta/pool.go

	CreateProject(ctx context.Context, p *CreateProjectParams) (*Project, error)
	UpdateProject(ctx context.Context, p *UpdateProjectParams) (*Project, error)
	GetProject(ctx context.Context, name string) (*Project, error)
	GetProjectByID(ctx context.Context, id int64) (*Project, error)
	ListProjects(ctx context.Context) ([]*Project, error)

	CreateUser(ctx context.Context, p *CreateUserParams) (*User, error)
	GetUser(ctx context.Context, name string) (*User, error)
	GetUserByID(ctx context.Context, id int64) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)

	CreateToken(ctx context.Context, p *CreateTokenParams) (*Token, error)
	// GetTokenByHash returns the token with the hash and touches its
	// last-used time (at most once per TokenTouchInterval); an expired
	// token is ErrNotFound.
	GetTokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, userID int64) ([]*Token, error)
	DeleteToken(ctx context.Context, userID, id int64) error

	// SetMember adds a member or changes their role.
	SetMember(ctx context.Context, p *SetMemberParams) (*Member, error)
	RemoveMember(ctx context.Context, projectID, userID int64) error
	GetMember(ctx context.Context, projectID, userID int64) (*Member, error)
	ListMembers(ctx context.Context, projectID int64) ([]*Member, error)

	// UpsertDataSource creates or replaces a data source by (project, name).
	UpsertDataSource(ctx context.Context, p *UpsertDataSourceParams) (*DataSource, error)
	GetDataSource(ctx context.Context, projectID int64, name string) (*DataSource, error)
	ListDataSources(ctx context.Context, projectID int64) ([]*DataSource, error)
	DeleteDataSource(ctx context.Context, projectID int64, name string) error

	// CreateTask creates a task with its first version.
	CreateTask(ctx context.Context, p *CreateTaskParams) (*Task, *Version, error)
	// AddVersion saves a new version and makes it the task's current one; a
	// removed task comes back.
	AddVersion(ctx context.Context, p *AddVersionParams) (*Version, error)
	GetTask(ctx context.Context, projectID int64, name string) (*Task, error)
	GetTaskByID(ctx context.Context, id int64) (*Task, error)
	ListTasks(ctx context.Context, p *ListTasksParams) ([]*Task, error)
	SetTaskStatus(ctx context.Context, taskID int64, status TaskStatus) error
	// RemoveTask marks a task removed from its project; history stays.
	RemoveTask(ctx context.Context, taskID int64) error
	GetVersion(ctx context.Context, taskID int64, version int) (*Version, error)
	GetVersionByID(ctx context.Context, id int64) (*Version, error)
	ListVersions(ctx context.Context, taskID int64) ([]*Version, error)

	CreateInstance(ctx context.Context, p *CreateInstanceParams) (*Instance, error)
	GetInstance(ctx context.Context, id int64) (*Instance, error)
	ListInstances(ctx context.Context, p *ListInstancesParams) ([]*Instance, error)
	// CountInstances counts the instances ListInstances would list without
	// its limit and offset.
	CountInstances(ctx context.Context, p *ListInstancesParams) (int, error)
	// TransitionInstance moves an instance from one of p.From to p.To and
	// sets the fields p carries, atomically. It returns ErrConflict when the
	// instance is not in one of p.From, and refuses moves CanTransition
	// forbids.
	TransitionInstance(ctx context.Context, p *TransitionParams) (*Instance, error)
	// ClaimInstances moves up to p.Limit queued instances to running for
	// p.Worker, highest priority then oldest first, with a lease until
	// p.LeaseUntil, and records a new attempt for each. Concurrent claimers
	// never get the same instance.
	ClaimInstances(ctx context.Context, p *ClaimParams) ([]*Instance, error)
	// RenewLeases extends the leases a worker holds on running instances and
	// returns how many it still holds.
	RenewLeases(ctx context.Context, worker string, ids []int64, until time.Time) (int, error)
	// ExpiredLeases lists running instances whose lease ended before now.
	ExpiredLeases(ctx context.Context, now time.Time) ([]*Instance, error)
	ListAttempts(ctx context.Context, instanceID int64) ([]*Attempt, error)

	AddAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, p *ListAuditParams) ([]*AuditEntry, error)

	// GetSetting returns a server setting, or ErrNotFound.
	GetSetting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
}

// CreateProjectParams are the fields of a new project.
type CreateProjectParams struct {
	Name          string
	Description   string
	DefaultEngine string
	Config        Config
}

// UpdateProjectParams replace a project's settings.
type UpdateProjectParams struct {
	ID            int64
	Description   string
	DefaultEngine string
	Config        Config
}

// CreateUserParams are the fields of a new user.
type CreateUserParams struct {
	Name         string
	Email        string
	PasswordHash string
	Admin        bool
}

// CreateTokenParams are the fields of a new token.
type CreateTokenParams struct {
	UserID    int64
	Name      string
	Hash      string
	ExpiresAt *time.Time
}

// SetMemberParams give a user a role in a project.
type SetMemberParams struct {
	ProjectID int64
	UserID    int64
	Role      Role
}

// UpsertDataSourceParams are the fields of a data source.
type UpsertDataSourceParams struct {
	ProjectID int64
	Name      string
	Kind      string
	DSN       string
	Options   map[string]string
	SecretEnc []byte
}

// CreateTaskParams are a new task and its first version.
type CreateTaskParams struct {
	ProjectID int64
	Spec      TaskSpec
	Hash      string
	Author    string
	Message   string
}

// AddVersionParams are a new version of an existing task.
type AddVersionParams struct {
	TaskID  int64
	Spec    TaskSpec
	Hash    string
	Author  string
	Message string
}

// ListTasksParams filter tasks.
type ListTasksParams struct {
	ProjectID      int64
	IncludeRemoved bool
	Status         TaskStatus // empty: any
}

// CreateInstanceParams are a new instance of a task version for a period.
type CreateInstanceParams struct {
	ProjectID int64
	TaskID    int64
	VersionID int64
	Bizdate   string
	Hour      int
	State     State // StateWaiting or StateQueued
	Trigger   Trigger
	Priority  int
	Pool      string
	Params    map[string]string
	CreatedBy string
}

// ListInstancesParams filter instances; zero fields do not filter.
type ListInstancesParams struct {
	ProjectID   int64
	TaskID      int64
	States      []State
	BizdateFrom string
	BizdateTo   string
	// Owner keeps the instances of tasks with this owner.
	Owner string
	// Tier keeps the instances of tasks whose current version has this tier
	// (a task without one is normal).
	Tier   Tier
	Limit  int // 0 means 100
	Offset int
}

// TransitionParams move an instance between states and set its results.
// Nil pointers leave fields as they are.
type TransitionParams struct {
	ID          int64
	From        []State
	To          State
	StartedAt   *time.Time
	EndedAt     *time.Time
	RowsWritten *int64
	Rendered    *string
	Error       *string
	CPUSeconds  *float64
	// ClearLease drops the worker and lease, as every move out of running does.
	ClearLease bool
	// ResetRun clears start, end, rows and error, as a rerun does.
	ResetRun bool
	// Worker, when set, makes the move conditional on that worker still
	// holding the instance's lease: a worker whose lease was recovered by
	// another cannot record an outcome over the new attempt.
	Worker string
	// LeaseExpiredBefore, when set, makes the move conditional on the lease
	// having ended before it: recovery does not take an instance whose
	// worker renewed its lease meanwhile.
	LeaseExpiredBefore *time.Time
	// NotBefore holds the instance back until then (a retry's delay); a
	// zero time clears it.
	NotBefore *time.Time
}

// ClaimParams ask for queued instances to run.
type ClaimParams struct {
	Worker     string
	Limit      int
	LeaseUntil time.Time
	Now        time.Time
	// Pools caps running instances per project pool; a pool not named is
	// unlimited. Nil: the store reads every project's caps (PoolSlots) in
	// the claim's transaction, only when something is queued.
	Pools map[PoolKey]int
}

// PoolKey names a pool of a project.
type PoolKey struct {
	ProjectID int64
	Pool      string
}

// ListAuditParams filter the audit log.
type ListAuditParams struct {
	ProjectID int64
	Action    string
	Limit     int
}
