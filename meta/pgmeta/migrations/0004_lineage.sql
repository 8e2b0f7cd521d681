-- SQL lineage per task version, and which instance wrote which table.

CREATE TABLE task_lineage (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    task_name   text NOT NULL,
    version     integer NOT NULL,
    dialect     text NOT NULL DEFAULT '',
    sources     jsonb NOT NULL DEFAULT '[]',
    targets     jsonb NOT NULL DEFAULT '[]',
    columns     jsonb NOT NULL DEFAULT '[]',
    error       text NOT NULL DEFAULT '',
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (task_id, version)
);

CREATE TABLE table_writes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    table_name  text NOT NULL,
    instance_id bigint NOT NULL,
    task_name   text NOT NULL DEFAULT '',
    bizdate     text NOT NULL DEFAULT '',
    rows        bigint NOT NULL DEFAULT 0,
    duration_ms bigint NOT NULL DEFAULT 0,
    at          timestamptz NOT NULL
);
CREATE INDEX table_writes_table ON table_writes (project_id, table_name, id);
