-- The data map's catalog: tables found by the crawler, and schema changes.

CREATE TABLE catalog_tables (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    engine      text NOT NULL,
    schema_name text NOT NULL,
    table_name  text NOT NULL,
    info        jsonb NOT NULL,
    crawled_at  timestamptz NOT NULL,
    PRIMARY KEY (project_id, engine, schema_name, table_name)
);

CREATE TABLE catalog_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    engine      text NOT NULL,
    table_name  text NOT NULL,
    kind        text NOT NULL,
    column_name text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL
);
CREATE INDEX catalog_changes_table ON catalog_changes (project_id, table_name, id);
