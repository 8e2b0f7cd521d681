package meta

import "time"

// Project groups tasks, data sources and members.
type Project struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Description   string    `json:"description,omitempty"`
	DefaultEngine string    `json:"default_engine,omitempty"`
	Config        Config    `json:"config"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Config is a project's settings from its project file, without secrets.
type Config struct {
	Params   map[string]string `json:"params,omitempty"`
	Defaults TaskDefaults      `json:"defaults"`
	// Alerts is the alerting setup (meta/alert.go); nil: alerts go nowhere.
	Alerts *AlertConfig `json:"alerts,omitempty"`
	// Pools caps how many instances of the project's tasks run at once per
	// pool; a pool not named here is unlimited, except DuckDBPool.
	Pools map[string]int `json:"pools,omitempty"`
	// Sensitive lists "table.column"s masked in ad-hoc query results for
	// members who may not unmask (see docs/query.md).
	Sensitive []string `json:"sensitive,omitempty"`
}

// DuckDBPool is the pool of SQL tasks on the embedded warehouse that name
// no pool; it has DefaultDuckDBSlots slots unless the project says otherwise.
const (
	DuckDBPool         = "duckdb"
	DefaultDuckDBSlots = 2
)

// TaskDefaults fill task settings a task file leaves out.
type TaskDefaults struct {
	Owner         string   `json:"owner,omitempty"`
	Retries       int      `json:"retries"`
	RetryDelay    Duration `json:"retry_delay"`
	Timeout       Duration `json:"timeout"`
	Pool          string   `json:"pool,omitempty"`
	Timezone      string   `json:"timezone,omitempty"`
	Tier          Tier     `json:"tier,omitempty"`
	MemoryLimitMB int      `json:"memory_limit_mb,omitempty"`
}

// Role is what a member may do in a project.
type Role string

// The project roles, from most to least powerful.
const (
	RoleOwner     Role = "owner"     // everything, including members
	RoleDeveloper Role = "developer" // change tasks and data sources, run, query
	RoleOperator  Role = "operator"  // run, rerun, kill; read everything
	RoleViewer    Role = "viewer"    // read
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleDeveloper, RoleOperator, RoleViewer:
		return true
	}
	return false
}

// Action is something a role may be allowed to do.
type Action string

// The actions checked on every API call.
const (
	ActRead          Action = "read"           // see tasks, instances, logs
	ActRun           Action = "run"            // run, rerun, kill instances
	ActQuery         Action = "query"          // ad-hoc SQL
	ActWrite         Action = "write"          // change tasks, apply projects
	ActManageMembers Action = "manage_members" // add and remove members
	ActUnmask        Action = "unmask"         // see sensitive columns unmasked in queries
)

var allowed = map[Role][]Action{
	RoleOwner:     {ActRead, ActRun, ActQuery, ActWrite, ActManageMembers, ActUnmask},
	RoleDeveloper: {ActRead, ActRun, ActQuery, ActWrite},
	RoleOperator:  {ActRead, ActRun, ActQuery},
	RoleViewer:    {ActRead},
}

// Can reports whether role r allows action a.
func (r Role) Can(a Action) bool {
	for _, x := range allowed[r] {
		if x == a {
			return true
		}
	}
	return false
}

// User is a person or robot that signs in.
type User struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Email        string    `json:"email,omitempty"`
	PasswordHash string    `json:"-"`
	Admin        bool      `json:"admin"`
	CreatedAt    time.Time `json:"created_at"`
}

// Token is an API token; only its hash is stored.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Hash       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Member gives a user a role in a project.
type Member struct {
	ProjectID int64     `json:"project_id"`
	UserID    int64     `json:"user_id"`
	UserName  string    `json:"user_name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// DataSource is a named connection of a project to an engine or database.
// Its secret (a password) is stored encrypted and never leaves the server.
type DataSource struct {
	ID        int64             `json:"id"`
	ProjectID int64             `json:"project_id"`
	Name      string            `json:"name"`
	Kind      string            `json:"kind"` // duckdb, postgres, mysql
	DSN       string            `json:"dsn"`  // connection string without the password
	Options   map[string]string `json:"options,omitempty"`
	// SecretEnc is the encrypted password; empty when there is none.
	SecretEnc []byte    `json:"-"`
	HasSecret bool      `json:"has_secret"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AuditEntry records who did what.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	UserName  string    `json:"user"`
	ProjectID int64     `json:"project_id,omitempty"`
	Action    string    `json:"action"`
	Target    string    `json:"target,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}
