-- Data quality: rules added through the API, every rule run's result;
-- alerting: alerts with their acknowledgements, silences.

CREATE TABLE quality_rules (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_name  text NOT NULL,
    rule       jsonb NOT NULL, -- meta.QualityRule
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE INDEX quality_rules_task ON quality_rules (project_id, task_name);

CREATE TABLE quality_results (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL,
    task_name   text NOT NULL DEFAULT '',
    instance_id bigint NOT NULL DEFAULT 0,
    bizdate     text NOT NULL,
    table_name  text NOT NULL DEFAULT '',
    rule        text NOT NULL,
    check_kind  text NOT NULL,
    column_name text NOT NULL DEFAULT '',
    severity    text NOT NULL,
    metric      double precision,
    threshold   text NOT NULL DEFAULT '',
    verdict     text NOT NULL,
    message     text NOT NULL DEFAULT '',
    sample      jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL
);
CREATE INDEX quality_results_table ON quality_results (project_id, table_name, bizdate);
CREATE INDEX quality_results_rule ON quality_results (project_id, task_name, rule, bizdate);
CREATE INDEX quality_results_instance ON quality_results (instance_id);

CREATE TABLE alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL,
    key         text NOT NULL,
    kind        text NOT NULL,
    task_name   text NOT NULL DEFAULT '',
    bizdate     text NOT NULL DEFAULT '',
    instance_id bigint NOT NULL DEFAULT 0,
    tier        text NOT NULL DEFAULT '',
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    state       text NOT NULL,
    count       bigint NOT NULL DEFAULT 1,
    escalated   boolean NOT NULL DEFAULT false,
    first_at    timestamptz NOT NULL,
    last_at     timestamptz NOT NULL,
    acked_by    text NOT NULL DEFAULT '',
    acked_at    timestamptz
);
CREATE INDEX alerts_project ON alerts (project_id, id);
CREATE INDEX alerts_key ON alerts (project_id, key, id);

CREATE TABLE silences (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL,
    task_name  text NOT NULL DEFAULT '',
    kind       text NOT NULL DEFAULT '',
    until      timestamptz NOT NULL,
    reason     text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE INDEX silences_project ON silences (project_id, until);
