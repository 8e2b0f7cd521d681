package meta

import (
	"context"
	"time"
)

// AlertConfig is a project's alerting setup from the alerts: section of
// kiln.yaml. It holds no secrets: channels name the environment variables
// of the server that hold them.
type AlertConfig struct {
	Channels []AlertChannel `json:"channels,omitempty"`
	Policies []AlertPolicy  `json:"policies,omitempty"`
	Rota     *Rota          `json:"rota,omitempty"`
	// QuietHours ("22:00-08:00") hold back alerts of non-core tasks until
	// they end.
	QuietHours string `json:"quiet_hours,omitempty"`
	// Timezone reads QuietHours and the rota's times; default UTC.
	Timezone string `json:"timezone,omitempty"`
	// DedupWindow drops repeats of the same problem for this long; default 30m.
	DedupWindow Duration `json:"dedup_window,omitempty"`
	// GroupWindow gathers a burst into one message; default 1m.
	GroupWindow Duration `json:"group_window,omitempty"`
	// EscalateAfter re-sends an unacknowledged core failure to Escalate; default 30m.
	EscalateAfter Duration `json:"escalate_after,omitempty"`
	// Escalate are the channels an escalation goes to (default every channel).
	Escalate []string `json:"escalate,omitempty"`
	// Default are the channels of alerts no policy matches (default every channel).
	Default []string `json:"default,omitempty"`
}

// AlertChannel is a place alerts are sent.
type AlertChannel struct {
	Name string `json:"name"`
	// Kind is feishu, dingtalk, wecom, slack, webhook or email.
	Kind string `json:"kind"`
	// URL is the webhook address (all kinds but email).
	URL string `json:"url,omitempty"`
	// URLEnv names the server variable holding the URL instead, for
	// webhooks whose address is itself the secret (WeCom, Slack).
	URLEnv string `json:"url_env,omitempty"`
	// SecretEnv names the server variable holding the signing secret
	// (Feishu, DingTalk, webhook: HMAC-SHA256 of the body).
	SecretEnv string `json:"secret_env,omitempty"`
	// SMTP is host:port of the mail server (email).
	SMTP        string   `json:"smtp,omitempty"`
	From        string   `json:"from,omitempty"`
	To          []string `json:"to,omitempty"`
	UsernameEnv string   `json:"username_env,omitempty"`
	PasswordEnv string   `json:"password_env,omitempty"`
}

// AlertPolicy routes the alerts it matches to channels and people. Empty
// match lists match everything.
type AlertPolicy struct {
	Name     string   `json:"name,omitempty"`
	Tasks    []string `json:"tasks,omitempty"`
	Tiers    []Tier   `json:"tiers,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Kinds    []string `json:"kinds,omitempty"`
	Channels []string `json:"channels"`
	People   []string `json:"people,omitempty"`
}

// Rota is a project's on-call rotation: People take shifts in turn, each
// starting at Handover and lasting Shift, counted from Start.
type Rota struct {
	People   []string `json:"people"`
	Start    string   `json:"start"`              // the first shift's date, YYYY-MM-DD
	Handover string   `json:"handover,omitempty"` // HH:MM, default 09:00
	Shift    Duration `json:"shift,omitempty"`    // default 24h
	// Remind is when the on-call person gets a daily reminder, HH:MM; empty: none.
	Remind   string   `json:"remind,omitempty"`
	Channels []string `json:"channels,omitempty"` // where reminders go; default every channel
}

// AlertState is where an alert is in its life.
type AlertState string

// The alert states.
const (
	AlertOpen  AlertState = "open"
	AlertAcked AlertState = "acked"
)

// Alert is one problem told to people: repeats within the dedup window
// count on it instead of sending again.
type Alert struct {
	ID         int64      `json:"id"`
	ProjectID  int64      `json:"project_id"`
	Key        string     `json:"key"` // what makes two alerts the same problem
	Kind       string     `json:"kind"`
	Task       string     `json:"task,omitempty"`
	Bizdate    string     `json:"bizdate,omitempty"`
	InstanceID int64      `json:"instance_id,omitempty"`
	Tier       Tier       `json:"tier,omitempty"`
	Title      string     `json:"title"`
	Text       string     `json:"text,omitempty"`
	State      AlertState `json:"state"`
	Count      int        `json:"count"`
	Escalated  bool       `json:"escalated,omitempty"`
	FirstAt    time.Time  `json:"first_at"`
	LastAt     time.Time  `json:"last_at"`
	AckedBy    string     `json:"acked_by,omitempty"`
	AckedAt    *time.Time `json:"acked_at,omitempty"`
}

// Silence holds back alerts of a task (or all of a project's when Task is
// empty) of a kind (or all kinds) until Until.
type Silence struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Task      string    `json:"task,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Until     time.Time `json:"until"`
	Reason    string    `json:"reason,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ListAlertsParams filter alerts; zero fields do not filter.
type ListAlertsParams struct {
	ProjectID int64
	State     AlertState
	Key       string
	Limit     int // 0 means 100
}

// AlertStore keeps alerts, acknowledgements and silences. Both metadata
// stores implement it.
type AlertStore interface {
	// CreateAlert saves a new alert and sets its ID.
	CreateAlert(ctx context.Context, a *Alert) error
	// TouchAlert counts a repeat of an alert at time at, and records an escalation.
	TouchAlert(ctx context.Context, id int64, at time.Time, escalated bool) error
	GetAlert(ctx context.Context, id int64) (*Alert, error)
	// ListAlerts lists alerts newest first.
	ListAlerts(ctx context.Context, p *ListAlertsParams) ([]*Alert, error)
	// AckAlert acknowledges an open alert; ErrNotFound when the project has no such alert.
	AckAlert(ctx context.Context, projectID, id int64, user string, at time.Time) (*Alert, error)
	AddSilence(ctx context.Context, s *Silence) error
	// ListSilences lists a project's silences still in force at time at.
	ListSilences(ctx context.Context, projectID int64, at time.Time) ([]*Silence, error)
	DeleteSilence(ctx context.Context, projectID, id int64) error
}
