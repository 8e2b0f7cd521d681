-- Self-service query and data APIs: query history, saved queries, table
-- grants, published data APIs with versions, apps and the call log.

CREATE TABLE query_runs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_name  text NOT NULL,
    engine     text NOT NULL DEFAULT '',
    sql        text NOT NULL,
    status     text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    rows       bigint NOT NULL DEFAULT 0,
    truncated  boolean NOT NULL DEFAULT false,
    error      text NOT NULL DEFAULT ''
);
CREATE INDEX query_runs_user ON query_runs (project_id, user_name, id);

CREATE TABLE saved_queries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner      text NOT NULL,
    folder     text NOT NULL DEFAULT '',
    name       text NOT NULL,
    engine     text NOT NULL DEFAULT '',
    sql        text NOT NULL,
    shared     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (project_id, owner, folder, name)
);

CREATE TABLE table_grants (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_name  text NOT NULL,
    table_name text NOT NULL,
    granted_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, user_name, table_name)
);

CREATE TABLE data_apis (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    path            text NOT NULL,
    current_version integer NOT NULL,
    online          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (project_id, path)
);

CREATE TABLE data_api_versions (
    api_id     bigint NOT NULL REFERENCES data_apis (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    spec       text NOT NULL, -- the API's definition as JSON
    author     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (api_id, version)
);

CREATE TABLE data_apps (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    secret_enc bytea,
    rate_limit double precision NOT NULL DEFAULT 0,
    expires_at timestamptz,
    created_at timestamptz NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE data_app_grants (
    app_id bigint NOT NULL REFERENCES data_apps (id) ON DELETE CASCADE,
    api_id bigint NOT NULL REFERENCES data_apis (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, api_id)
);

CREATE TABLE data_api_calls (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    api_id     bigint NOT NULL,
    app_id     bigint NOT NULL DEFAULT 0,
    status     integer NOT NULL,
    latency_us bigint NOT NULL,
    rows       bigint NOT NULL DEFAULT 0,
    cached     boolean NOT NULL DEFAULT false
);
CREATE INDEX data_api_calls_at ON data_api_calls (at);
