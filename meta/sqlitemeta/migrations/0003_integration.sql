-- Integration: the metrics of each sync run, one row per instance (the
-- latest attempt's).

CREATE TABLE sync_metrics (
    instance_id  INTEGER PRIMARY KEY,
    attempt      INTEGER NOT NULL DEFAULT 0,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    rows_written INTEGER NOT NULL DEFAULT 0,
    dirty_rows   INTEGER NOT NULL DEFAULT 0,
    bytes        INTEGER NOT NULL DEFAULT 0,
    duration_ms  INTEGER NOT NULL DEFAULT 0,
    recorded_at  TEXT NOT NULL
);
