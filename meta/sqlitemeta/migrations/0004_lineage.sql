-- SQL lineage per task version, and which instance wrote which table.

CREATE TABLE task_lineage (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    task_name   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    dialect     TEXT NOT NULL DEFAULT '',
    sources     TEXT NOT NULL DEFAULT '[]', -- JSON array of table names
    targets     TEXT NOT NULL DEFAULT '[]',
    columns     TEXT NOT NULL DEFAULT '[]', -- JSON array of {source, target}
    error       TEXT NOT NULL DEFAULT '',
    computed_at TEXT NOT NULL,
    PRIMARY KEY (task_id, version)
);

CREATE TABLE table_writes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    table_name  TEXT NOT NULL,
    instance_id INTEGER NOT NULL,
    task_name   TEXT NOT NULL DEFAULT '',
    bizdate     TEXT NOT NULL DEFAULT '',
    rows        INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL
);
CREATE INDEX table_writes_table ON table_writes (project_id, table_name, id);
