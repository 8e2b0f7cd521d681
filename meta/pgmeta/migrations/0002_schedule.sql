-- Scheduling: planned instances with their periods and dependencies,
-- retries held back by not_before, the planner's lease, backfills.

ALTER TABLE instances ADD COLUMN not_before   timestamptz;
ALTER TABLE instances ADD COLUMN unmet        integer NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN deadline     timestamptz;
ALTER TABLE instances ADD COLUMN period_start timestamptz;
ALTER TABLE instances ADD COLUMN period_end   timestamptz;
ALTER TABLE instances ADD COLUMN backfill_id  bigint NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX instances_scheduled_period ON instances (task_id, period_start)
    WHERE trigger_kind = 'schedule';
CREATE UNIQUE INDEX instances_backfill_period ON instances (backfill_id, task_id, period_start)
    WHERE trigger_kind = 'backfill';
CREATE INDEX instances_task_period ON instances (task_id, period_end, period_start);
CREATE INDEX instances_due ON instances (not_before) WHERE state = 'waiting' AND unmet <= 0;

CREATE TABLE instance_deps (
    down_id bigint NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    up_id   bigint NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    PRIMARY KEY (down_id, up_id)
);
CREATE INDEX instance_deps_up ON instance_deps (up_id, down_id);

CREATE TABLE leases (
    name   text PRIMARY KEY,
    holder text NOT NULL,
    until  timestamptz NOT NULL
);

CREATE TABLE backfills (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    tasks      jsonb NOT NULL DEFAULT '[]',
    from_date  text NOT NULL,
    to_date    text NOT NULL,
    parallel   integer NOT NULL DEFAULT 0,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
