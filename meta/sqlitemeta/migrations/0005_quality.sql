-- Data quality: rules added through the API, every rule run's result;
-- alerting: alerts with their acknowledgements, silences.

CREATE TABLE quality_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_name  TEXT NOT NULL,
    rule       TEXT NOT NULL, -- meta.QualityRule as JSON
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX quality_rules_task ON quality_rules (project_id, task_name);

CREATE TABLE quality_results (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL,
    task_name   TEXT NOT NULL DEFAULT '',
    instance_id INTEGER NOT NULL DEFAULT 0,
    bizdate     TEXT NOT NULL,
    table_name  TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL,
    check_kind  TEXT NOT NULL,
    column_name TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    metric      REAL,
    threshold   TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    sample      TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL
);
CREATE INDEX quality_results_table ON quality_results (project_id, table_name, bizdate);
CREATE INDEX quality_results_rule ON quality_results (project_id, task_name, rule, bizdate);
CREATE INDEX quality_results_instance ON quality_results (instance_id);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL,
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    task_name   TEXT NOT NULL DEFAULT '',
    bizdate     TEXT NOT NULL DEFAULT '',
    instance_id INTEGER NOT NULL DEFAULT 0,
    tier        TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    count       INTEGER NOT NULL DEFAULT 1,
    escalated   INTEGER NOT NULL DEFAULT 0,
    first_at    TEXT NOT NULL,
    last_at     TEXT NOT NULL,
    acked_by    TEXT NOT NULL DEFAULT '',
    acked_at    TEXT
);
CREATE INDEX alerts_project ON alerts (project_id, id);
CREATE INDEX alerts_key ON alerts (project_id, key, id);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    task_name  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL DEFAULT '',
    until      TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX silences_project ON silences (project_id, until);
