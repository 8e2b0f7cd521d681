-- Integration: the metrics of each sync run, one row per instance (the
-- latest attempt's).

CREATE TABLE sync_metrics (
    instance_id  BIGINT PRIMARY KEY,
    attempt      INTEGER NOT NULL DEFAULT 0,
    rows_read    BIGINT NOT NULL DEFAULT 0,
    rows_written BIGINT NOT NULL DEFAULT 0,
    dirty_rows   BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    duration_ms  BIGINT NOT NULL DEFAULT 0,
    recorded_at  TIMESTAMPTZ NOT NULL
);
