-- Kiln metadata store, SQLite dialect.
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000Z),
-- written by the Go code, so that they sort and compare as strings; a column
-- that is compared must not default to CURRENT_TIMESTAMP, whose text sorts
-- differently. JSON documents are TEXT.

CREATE TABLE projects (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE,
    description    TEXT NOT NULL DEFAULT '',
    default_engine TEXT NOT NULL DEFAULT '',
    config         TEXT NOT NULL DEFAULT '{}', -- meta.Config as JSON
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX tokens_user ON tokens (user_id, id);

CREATE TABLE members (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE data_sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    dsn        TEXT NOT NULL DEFAULT '',
    options    TEXT NOT NULL DEFAULT '{}', -- map[string]string as JSON
    secret_enc BLOB,                       -- AES-GCM ciphertext, NULL when none
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active',
    current_version INTEGER NOT NULL DEFAULT 0,
    owner           TEXT NOT NULL DEFAULT '',
    removed         INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX tasks_project_status ON tasks (project_id, status);

CREATE TABLE task_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    spec       TEXT NOT NULL, -- meta.TaskSpec as JSON
    hash       TEXT NOT NULL DEFAULT '',
    author     TEXT NOT NULL DEFAULT '',
    message    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (task_id, version)
);

CREATE TABLE instances (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version_id   INTEGER NOT NULL REFERENCES task_versions (id) ON DELETE CASCADE,
    bizdate      TEXT NOT NULL,            -- YYYY-MM-DD
    hour         INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,            -- meta.Trigger
    priority     INTEGER NOT NULL DEFAULT 0,
    pool         TEXT NOT NULL DEFAULT '',
    attempt      INTEGER NOT NULL DEFAULT 0,
    params       TEXT NOT NULL DEFAULT '{}', -- map[string]string as JSON
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    queued_at    TEXT,
    started_at   TEXT,
    ended_at     TEXT,
    duration_ms  INTEGER NOT NULL DEFAULT 0,
    rows_written INTEGER NOT NULL DEFAULT 0,
    rendered     TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    cpu_seconds  REAL NOT NULL DEFAULT 0,
    worker       TEXT NOT NULL DEFAULT '',
    lease_until  TEXT
);
-- The ops center's lists, newest first.
CREATE INDEX instances_project_state ON instances (project_id, state, id);
CREATE INDEX instances_task_bizdate ON instances (task_id, bizdate, hour);
CREATE INDEX instances_bizdate ON instances (bizdate, hour);
-- The queue: claims take the highest priority, then the longest queued.
CREATE INDEX instances_queue ON instances (priority DESC, queued_at, id) WHERE state = 'queued';
CREATE INDEX instances_state ON instances (state, priority DESC, id);
-- Lease renewals and recovery look at running instances only.
CREATE INDEX instances_running_worker ON instances (worker) WHERE state = 'running';
CREATE INDEX instances_running_lease ON instances (lease_until) WHERE state = 'running';

CREATE TABLE attempts (
    instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    worker      TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    error       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (instance_id, attempt)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    user_name  TEXT NOT NULL DEFAULT '',
    project_id INTEGER NOT NULL DEFAULT 0, -- 0: not about one project
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_project ON audit_log (project_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
