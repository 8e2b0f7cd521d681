package meta

import (
	"context"
	"time"
)

// DataAPIStore keeps published data APIs (each publish a version), the apps
// that call them and the call log. Find it on a Store by type assertion.
type DataAPIStore interface {
	// PublishDataAPI saves a new version of the API at (project, path),
	// creating the API on first publish, and makes it current and online.
	PublishDataAPI(ctx context.Context, p *PublishDataAPIParams) (*DataAPI, error)
	GetDataAPI(ctx context.Context, projectID int64, path string) (*DataAPI, error)
	// ListDataAPIs lists a project's APIs by path; projectID 0 lists all.
	ListDataAPIs(ctx context.Context, projectID int64) ([]*DataAPI, error)
	// SetDataAPIState changes the current version (a rollback) and/or
	// whether the API answers; nil fields stay.
	SetDataAPIState(ctx context.Context, p *SetDataAPIStateParams) (*DataAPI, error)
	// ListDataAPIVersions lists an API's versions, newest first.
	ListDataAPIVersions(ctx context.Context, apiID int64) ([]*DataAPIVersion, error)

	// CreateDataApp creates an app with its token hash and sets its ID.
	CreateDataApp(ctx context.Context, a *DataApp) error
	// ListDataApps lists a project's apps by name with their grants;
	// projectID 0 lists every project's.
	ListDataApps(ctx context.Context, projectID int64) ([]*DataApp, error)
	// GrantDataApp lets an app call an API (idempotent).
	GrantDataApp(ctx context.Context, appID, apiID int64) error
	DeleteDataApp(ctx context.Context, id int64) error
	// RotateDataApp replaces an app's token hash, sealed secret and expiry.
	RotateDataApp(ctx context.Context, p *RotateDataAppParams) error

	// AddDataAPICalls appends entries to the call log.
	AddDataAPICalls(ctx context.Context, calls []*DataAPICall) error
	// ListDataAPICalls lists calls since a time, oldest first.
	ListDataAPICalls(ctx context.Context, p *ListDataAPICallsParams) ([]*DataAPICall, error)
}

// DataAPI is a published query; Spec is its current version's definition.
type DataAPI struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Path      string    `json:"path"`
	Version   int       `json:"version"` // the current version
	Online    bool      `json:"online"`
	Spec      string    `json:"spec"` // the current version's definition (JSON)
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DataAPIVersion is one publish of an API.
type DataAPIVersion struct {
	APIID     int64     `json:"api_id"`
	Version   int       `json:"version"`
	Spec      string    `json:"spec"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// PublishDataAPIParams are a new version of an API.
type PublishDataAPIParams struct {
	ProjectID int64
	Path      string
	Spec      string
	Author    string
}

// SetDataAPIStateParams roll an API back or take it on/offline.
type SetDataAPIStateParams struct {
	ID      int64
	Version *int
	Online  *bool
}

// DataApp is a caller of data APIs with its own token.
type DataApp struct {
	ID        int64      `json:"id"`
	ProjectID int64      `json:"project_id"`
	Name      string     `json:"name"`
	TokenHash string     `json:"-"`
	SecretEnc []byte     `json:"-"`                    // the sealed HMAC signing secret; empty: signing not required
	RateLimit float64    `json:"rate_limit,omitempty"` // requests per second, 0: none
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	APIs      []int64    `json:"apis"` // IDs of the APIs it may call
	CreatedAt time.Time  `json:"created_at"`
}

// RotateDataAppParams are an app's new credentials.
type RotateDataAppParams struct {
	ID        int64
	TokenHash string
	SecretEnc []byte
	ExpiresAt *time.Time
}

// DataAPICall is one entry of the call log.
type DataAPICall struct {
	At        time.Time `json:"at"`
	APIID     int64     `json:"api_id"`
	AppID     int64     `json:"app_id,omitempty"`
	Status    int       `json:"status"`
	LatencyUS int64     `json:"latency_us"`
	Rows      int64     `json:"rows"`
	Cached    bool      `json:"cached"`
}

// ListDataAPICallsParams filter the call log; zero fields do not filter.
type ListDataAPICallsParams struct {
	APIID int64
	AppID int64
	Since time.Time
	Limit int // 0 means 100000
}
