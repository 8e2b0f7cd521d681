-- The ops summary's rollups (meta/summaryroll.go), kept by triggers in the
-- transaction of every change to an instance, whoever makes it: per
-- (project, bizdate, owner, tier, state) the count and sums of the
-- instances in a final state, and per duration bucket the count of their
-- positive durations. Owner and tier are those of the task version that
-- ran. CPU is summed in integer microseconds so that taking an instance
-- out (rerun, set-success…) leaves exactly what was there before.
CREATE TABLE summary_days (
    project_id    INTEGER NOT NULL,
    bizdate       TEXT NOT NULL,
    owner         TEXT NOT NULL,
    tier          TEXT NOT NULL,
    state         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    cpu_us        INTEGER NOT NULL,
    with_deadline INTEGER NOT NULL,
    on_time       INTEGER NOT NULL,
    PRIMARY KEY (project_id, bizdate, owner, tier, state)
) WITHOUT ROWID;

-- bucket: the duration itself below 100 ms, else its two leading digits
-- followed by zeros (meta.DurationBucket).
CREATE TABLE summary_durations (
    project_id INTEGER NOT NULL,
    bizdate    TEXT NOT NULL,
    owner      TEXT NOT NULL,
    tier       TEXT NOT NULL,
    bucket     INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project_id, bizdate, owner, tier, bucket)
) WITHOUT ROWID;

-- The summary reads the unfinished instances of its range as they are, and
-- the longest durations of finished ones above a threshold.
CREATE INDEX instances_unfinished_bizdate ON instances (bizdate, project_id)
    WHERE state IN ('waiting', 'queued', 'running');
CREATE INDEX instances_final_duration ON instances (project_id, bizdate, duration_ms, version_id)
    WHERE state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed');

CREATE TRIGGER summary_instance_insert AFTER INSERT ON instances
WHEN NEW.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
BEGIN
    INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
    SELECT NEW.project_id, NEW.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'), NEW.state, 1, NEW.duration_ms,
        CAST(round(NEW.cpu_seconds * 1000000.0) AS INTEGER), NEW.deadline IS NOT NULL,
        NEW.deadline IS NOT NULL AND NEW.state = 'success' AND NEW.ended_at IS NOT NULL AND NEW.ended_at <= NEW.deadline
    FROM task_versions v WHERE v.id = NEW.version_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, duration_ms = duration_ms + excluded.duration_ms,
        cpu_us = cpu_us + excluded.cpu_us, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time;
    INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
    SELECT NEW.project_id, NEW.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'),
        CASE WHEN NEW.duration_ms < 100 THEN NEW.duration_ms
            ELSE CAST(substr(NEW.duration_ms, 1, 2) || substr('00000000000000000000', 1, length(NEW.duration_ms) - 2) AS INTEGER) END, 1
    FROM task_versions v WHERE v.id = NEW.version_id AND NEW.duration_ms > 0
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER summary_instance_delete AFTER DELETE ON instances
WHEN OLD.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
BEGIN
    INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
    SELECT OLD.project_id, OLD.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'), OLD.state, -1, -OLD.duration_ms,
        -CAST(round(OLD.cpu_seconds * 1000000.0) AS INTEGER), -(OLD.deadline IS NOT NULL),
        -(OLD.deadline IS NOT NULL AND OLD.state = 'success' AND OLD.ended_at IS NOT NULL AND OLD.ended_at <= OLD.deadline)
    FROM task_versions v WHERE v.id = OLD.version_id
    ON CONFLICT DO UPDATE SET n = n + excluded.n, duration_ms = duration_ms + excluded.duration_ms,
        cpu_us = cpu_us + excluded.cpu_us, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time;
    INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
    SELECT OLD.project_id, OLD.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'),
        CASE WHEN OLD.duration_ms < 100 THEN OLD.duration_ms
            ELSE CAST(substr(OLD.duration_ms, 1, 2) || substr('00000000000000000000', 1, length(OLD.duration_ms) - 2) AS INTEGER) END, -1
    FROM task_versions v WHERE v.id = OLD.version_id AND OLD.duration_ms > 0
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

-- An update takes the old row out and puts the new one in, when either is
-- final and something the summary reads changed (lease renewals, unmet
-- counts and the like do not fire it).
CREATE TRIGGER summary_instance_update AFTER UPDATE ON instances
WHEN (OLD.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
        OR NEW.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed'))
    AND (OLD.state IS NOT NEW.state OR OLD.duration_ms IS NOT NEW.duration_ms OR OLD.cpu_seconds IS NOT NEW.cpu_seconds
        OR OLD.deadline IS NOT NEW.deadline OR OLD.ended_at IS NOT NEW.ended_at OR OLD.version_id IS NOT NEW.version_id
        OR OLD.bizdate IS NOT NEW.bizdate OR OLD.project_id IS NOT NEW.project_id)
BEGIN
    INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
    SELECT OLD.project_id, OLD.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'), OLD.state, -1, -OLD.duration_ms,
        -CAST(round(OLD.cpu_seconds * 1000000.0) AS INTEGER), -(OLD.deadline IS NOT NULL),
        -(OLD.deadline IS NOT NULL AND OLD.state = 'success' AND OLD.ended_at IS NOT NULL AND OLD.ended_at <= OLD.deadline)
    FROM task_versions v WHERE v.id = OLD.version_id AND OLD.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
    ON CONFLICT DO UPDATE SET n = n + excluded.n, duration_ms = duration_ms + excluded.duration_ms,
        cpu_us = cpu_us + excluded.cpu_us, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time;
    INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
    SELECT OLD.project_id, OLD.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'),
        CASE WHEN OLD.duration_ms < 100 THEN OLD.duration_ms
            ELSE CAST(substr(OLD.duration_ms, 1, 2) || substr('00000000000000000000', 1, length(OLD.duration_ms) - 2) AS INTEGER) END, -1
    FROM task_versions v WHERE v.id = OLD.version_id AND OLD.duration_ms > 0
        AND OLD.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
    INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
    SELECT NEW.project_id, NEW.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'), NEW.state, 1, NEW.duration_ms,
        CAST(round(NEW.cpu_seconds * 1000000.0) AS INTEGER), NEW.deadline IS NOT NULL,
        NEW.deadline IS NOT NULL AND NEW.state = 'success' AND NEW.ended_at IS NOT NULL AND NEW.ended_at <= NEW.deadline
    FROM task_versions v WHERE v.id = NEW.version_id AND NEW.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
    ON CONFLICT DO UPDATE SET n = n + excluded.n, duration_ms = duration_ms + excluded.duration_ms,
        cpu_us = cpu_us + excluded.cpu_us, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time;
    INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
    SELECT NEW.project_id, NEW.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
        coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'),
        CASE WHEN NEW.duration_ms < 100 THEN NEW.duration_ms
            ELSE CAST(substr(NEW.duration_ms, 1, 2) || substr('00000000000000000000', 1, length(NEW.duration_ms) - 2) AS INTEGER) END, 1
    FROM task_versions v WHERE v.id = NEW.version_id AND NEW.duration_ms > 0
        AND NEW.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

-- The instances already there.
INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
SELECT i.project_id, i.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
    coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'), i.state, count(*), sum(i.duration_ms),
    sum(CAST(round(i.cpu_seconds * 1000000.0) AS INTEGER)), sum(i.deadline IS NOT NULL),
    sum(i.deadline IS NOT NULL AND i.state = 'success' AND i.ended_at IS NOT NULL AND i.ended_at <= i.deadline)
FROM instances i JOIN task_versions v ON v.id = i.version_id
WHERE i.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
SELECT i.project_id, i.bizdate, coalesce(json_extract(v.spec, '$.owner'), ''),
    coalesce(nullif(json_extract(v.spec, '$.tier'), ''), 'normal'),
    CASE WHEN i.duration_ms < 100 THEN i.duration_ms
        ELSE CAST(substr(i.duration_ms, 1, 2) || substr('00000000000000000000', 1, length(i.duration_ms) - 2) AS INTEGER) END, count(*)
FROM instances i JOIN task_versions v ON v.id = i.version_id
WHERE i.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed') AND i.duration_ms > 0
GROUP BY 1, 2, 3, 4, 5;
