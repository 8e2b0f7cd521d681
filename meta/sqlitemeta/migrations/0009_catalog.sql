-- The data map's catalog: tables found by the crawler, and schema changes.

CREATE TABLE catalog_tables (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    engine      TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    info        TEXT NOT NULL, -- JSON of meta.CatalogTable
    crawled_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, engine, schema_name, table_name)
);

CREATE TABLE catalog_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    engine     TEXT NOT NULL,
    table_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    column_name TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
);
CREATE INDEX catalog_changes_table ON catalog_changes (project_id, table_name, id);
