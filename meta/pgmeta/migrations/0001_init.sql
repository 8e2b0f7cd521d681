-- Kiln metadata store, Postgres dialect.

CREATE TABLE projects (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE,
    description    text NOT NULL DEFAULT '',
    default_engine text NOT NULL DEFAULT '',
    config         jsonb NOT NULL DEFAULT '{}', -- meta.Config
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    email         text NOT NULL DEFAULT '',
    password_hash text NOT NULL DEFAULT '',
    admin         boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

CREATE TABLE tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    hash         text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id, id);

CREATE TABLE members (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE data_sources (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text NOT NULL,
    kind       text NOT NULL,
    dsn        text NOT NULL DEFAULT '',
    options    jsonb NOT NULL DEFAULT '{}', -- map[string]string
    secret_enc bytea,                       -- AES-GCM ciphertext, NULL when none
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE tasks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            text NOT NULL,
    type            text NOT NULL,
    status          text NOT NULL DEFAULT 'active',
    current_version integer NOT NULL DEFAULT 0,
    owner           text NOT NULL DEFAULT '',
    removed         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX tasks_project_status ON tasks (project_id, status);

CREATE TABLE task_versions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    spec       jsonb NOT NULL, -- meta.TaskSpec
    hash       text NOT NULL DEFAULT '',
    author     text NOT NULL DEFAULT '',
    message    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    UNIQUE (task_id, version)
);

CREATE TABLE instances (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id      bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version_id   bigint NOT NULL REFERENCES task_versions (id) ON DELETE CASCADE,
    bizdate      text NOT NULL,             -- YYYY-MM-DD
    hour         integer NOT NULL DEFAULT 0,
    state        text NOT NULL,
    trigger_kind text NOT NULL,             -- meta.Trigger
    priority     integer NOT NULL DEFAULT 0,
    pool         text NOT NULL DEFAULT '',
    attempt      integer NOT NULL DEFAULT 0,
    params       jsonb NOT NULL DEFAULT '{}', -- map[string]string
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    queued_at    timestamptz,
    started_at   timestamptz,
    ended_at     timestamptz,
    duration_ms  bigint NOT NULL DEFAULT 0,
    rows_written bigint NOT NULL DEFAULT 0,
    rendered     text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    cpu_seconds  double precision NOT NULL DEFAULT 0,
    worker       text NOT NULL DEFAULT '',
    lease_until  timestamptz
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
    instance_id bigint NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    state       text NOT NULL,
    worker      text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    error       text NOT NULL DEFAULT '',
    PRIMARY KEY (instance_id, attempt)
);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    user_name  text NOT NULL DEFAULT '',
    project_id bigint NOT NULL DEFAULT 0, -- 0: not about one project
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_project ON audit_log (project_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);
