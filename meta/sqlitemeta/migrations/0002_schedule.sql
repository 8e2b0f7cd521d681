-- Scheduling: planned instances with their periods and dependencies,
-- retries held back by not_before, the planner's lease, backfills.

ALTER TABLE instances ADD COLUMN not_before   TEXT;
ALTER TABLE instances ADD COLUMN unmet        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN deadline     TEXT;
ALTER TABLE instances ADD COLUMN period_start TEXT;
ALTER TABLE instances ADD COLUMN period_end   TEXT;
ALTER TABLE instances ADD COLUMN backfill_id  INTEGER NOT NULL DEFAULT 0;

-- One scheduled instance per task and period; one per backfill, task and period.
CREATE UNIQUE INDEX instances_scheduled_period ON instances (task_id, period_start)
    WHERE trigger_kind = 'schedule';
CREATE UNIQUE INDEX instances_backfill_period ON instances (backfill_id, task_id, period_start)
    WHERE trigger_kind = 'backfill';
CREATE INDEX instances_task_period ON instances (task_id, period_end, period_start);
-- Promotion looks only at waiting instances with nothing unmet.
CREATE INDEX instances_due ON instances (not_before) WHERE state = 'waiting' AND unmet <= 0;

CREATE TABLE instance_deps (
    down_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    up_id   INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    PRIMARY KEY (down_id, up_id)
);
CREATE INDEX instance_deps_up ON instance_deps (up_id, down_id);

CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);

CREATE TABLE backfills (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    tasks      TEXT NOT NULL DEFAULT '[]',
    from_date  TEXT NOT NULL,
    to_date    TEXT NOT NULL,
    parallel   INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
