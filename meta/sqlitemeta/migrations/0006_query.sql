-- Self-service query and data APIs: query history, saved queries, table
-- grants, published data APIs with versions, apps and the call log.

CREATE TABLE query_runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_name  TEXT NOT NULL,
    engine     TEXT NOT NULL DEFAULT '',
    sql        TEXT NOT NULL,
    status     TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    rows       INTEGER NOT NULL DEFAULT 0,
    truncated  INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX query_runs_user ON query_runs (project_id, user_name, id);

CREATE TABLE saved_queries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner      TEXT NOT NULL,
    folder     TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    engine     TEXT NOT NULL DEFAULT '',
    sql        TEXT NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, owner, folder, name)
);

CREATE TABLE table_grants (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_name  TEXT NOT NULL,
    table_name TEXT NOT NULL,
    granted_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_name, table_name)
);

CREATE TABLE data_apis (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    path            TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    online          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (project_id, path)
);

CREATE TABLE data_api_versions (
    api_id     INTEGER NOT NULL REFERENCES data_apis (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    spec       TEXT NOT NULL, -- the API's definition as JSON
    author     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (api_id, version)
);

CREATE TABLE data_apps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    secret_enc BLOB,
    rate_limit REAL NOT NULL DEFAULT 0,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE data_app_grants (
    app_id INTEGER NOT NULL REFERENCES data_apps (id) ON DELETE CASCADE,
    api_id INTEGER NOT NULL REFERENCES data_apis (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, api_id)
);

CREATE TABLE data_api_calls (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    api_id     INTEGER NOT NULL,
    app_id     INTEGER NOT NULL DEFAULT 0,
    status     INTEGER NOT NULL,
    latency_us INTEGER NOT NULL,
    rows       INTEGER NOT NULL DEFAULT 0,
    cached     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX data_api_calls_at ON data_api_calls (at);
