-- The ops summary's rollups (meta/summaryroll.go), kept by triggers in the
-- transaction of every change to an instance, whoever makes it: per
-- (project, bizdate, owner, tier, state) the count and sums of the
-- instances in a final state, and per duration bucket the count of their
-- positive durations. Owner and tier are those of the task version that
-- ran. CPU is summed in integer microseconds so that taking an instance
-- out (rerun, set-success…) leaves exactly what was there before.
CREATE TABLE summary_days (
    project_id    bigint NOT NULL,
    bizdate       text NOT NULL,
    owner         text NOT NULL,
    tier          text NOT NULL,
    state         text NOT NULL,
    n             integer NOT NULL,
    duration_ms   bigint NOT NULL,
    cpu_us        bigint NOT NULL,
    with_deadline integer NOT NULL,
    on_time       integer NOT NULL,
    PRIMARY KEY (project_id, bizdate, owner, tier, state)
);

-- bucket: the duration itself below 100 ms, else its two leading digits
-- followed by zeros (meta.DurationBucket).
CREATE TABLE summary_durations (
    project_id bigint NOT NULL,
    bizdate    text NOT NULL,
    owner      text NOT NULL,
    tier       text NOT NULL,
    bucket     bigint NOT NULL,
    n          integer NOT NULL,
    PRIMARY KEY (project_id, bizdate, owner, tier, bucket)
);

-- The summary reads the unfinished instances of its range as they are, and
-- the longest durations of finished ones above a threshold.
CREATE INDEX instances_unfinished_bizdate ON instances (bizdate, project_id)
    WHERE state IN ('waiting', 'queued', 'running');
CREATE INDEX instances_final_duration ON instances (project_id, bizdate, duration_ms, version_id)
    WHERE state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed');

CREATE FUNCTION summary_bucket(ms bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ms < 100 THEN ms ELSE rpad(left(ms::text, 2), length(ms::text), '0')::bigint END
$$;

-- One statement-level trigger per event: the statement's changes are
-- summed per rollup row and applied in key order, so that two transactions
-- take the rollup rows' locks in the same order and a statement that
-- changes nothing the summary reads (lease renewals…) writes nothing.
CREATE FUNCTION summary_roll() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fin constant text := $f$ WHERE state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')$f$;
    cols constant text := 'project_id, bizdate, version_id, state, duration_ms, cpu_seconds, deadline, ended_at';
    src text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        src := 'SELECT ' || cols || ', 1 AS sign FROM summary_new' || fin;
    ELSIF TG_OP = 'DELETE' THEN
        src := 'SELECT ' || cols || ', -1 AS sign FROM summary_old' || fin;
    ELSE
        -- Most updates (claims, lease renewals, unmet counts) touch no
        -- final instance: nothing to do.
        IF NOT EXISTS (SELECT 1 FROM summary_new WHERE state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed'))
            AND NOT EXISTS (SELECT 1 FROM summary_old WHERE state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')) THEN
            RETURN NULL;
        END IF;
        src := 'SELECT ' || cols || ', 1 AS sign FROM summary_new' || fin
            || ' UNION ALL SELECT ' || cols || ', -1 FROM summary_old' || fin;
    END IF;
    EXECUTE 'WITH d AS MATERIALIZED (' || src || $q$),
        x AS (SELECT d.project_id, d.bizdate, coalesce(v.spec->>'owner', '') AS owner,
                coalesce(nullif(v.spec->>'tier', ''), 'normal') AS tier, d.state, d.sign, d.duration_ms,
                floor(d.cpu_seconds * 1000000.0 + 0.5)::bigint AS cpu_us,
                CASE WHEN d.deadline IS NOT NULL THEN 1 ELSE 0 END AS dl,
                CASE WHEN d.deadline IS NOT NULL AND d.state = 'success' AND d.ended_at IS NOT NULL
                    AND d.ended_at <= d.deadline THEN 1 ELSE 0 END AS ontime
            FROM d JOIN task_versions v ON v.id = d.version_id),
        days AS (
            INSERT INTO summary_days AS s (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
            SELECT * FROM (
                SELECT project_id, bizdate, owner, tier, state, sum(sign)::int AS n, sum(sign * duration_ms) AS dur,
                    sum(sign * cpu_us) AS cpu, sum(sign * dl)::int AS dl, sum(sign * ontime)::int AS ontime
                FROM x GROUP BY 1, 2, 3, 4, 5) g
            WHERE n <> 0 OR dur <> 0 OR cpu <> 0 OR dl <> 0 OR ontime <> 0
            ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (project_id, bizdate, owner, tier, state) DO UPDATE SET n = s.n + excluded.n,
                duration_ms = s.duration_ms + excluded.duration_ms, cpu_us = s.cpu_us + excluded.cpu_us,
                with_deadline = s.with_deadline + excluded.with_deadline, on_time = s.on_time + excluded.on_time)
        INSERT INTO summary_durations AS s (project_id, bizdate, owner, tier, bucket, n)
        SELECT project_id, bizdate, owner, tier, summary_bucket(duration_ms), sum(sign)::int
        FROM x WHERE duration_ms > 0
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (project_id, bizdate, owner, tier, bucket) DO UPDATE SET n = s.n + excluded.n$q$;
    RETURN NULL;
END
$$;

CREATE TRIGGER summary_instance_insert AFTER INSERT ON instances
    REFERENCING NEW TABLE AS summary_new FOR EACH STATEMENT EXECUTE FUNCTION summary_roll();
CREATE TRIGGER summary_instance_update AFTER UPDATE ON instances
    REFERENCING OLD TABLE AS summary_old NEW TABLE AS summary_new FOR EACH STATEMENT EXECUTE FUNCTION summary_roll();
CREATE TRIGGER summary_instance_delete AFTER DELETE ON instances
    REFERENCING OLD TABLE AS summary_old FOR EACH STATEMENT EXECUTE FUNCTION summary_roll();

-- The instances already there.
INSERT INTO summary_days (project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time)
SELECT i.project_id, i.bizdate, coalesce(v.spec->>'owner', ''), coalesce(nullif(v.spec->>'tier', ''), 'normal'), i.state,
    count(*), sum(i.duration_ms), sum(floor(i.cpu_seconds * 1000000.0 + 0.5)::bigint),
    count(*) FILTER (WHERE i.deadline IS NOT NULL),
    count(*) FILTER (WHERE i.deadline IS NOT NULL AND i.state = 'success' AND i.ended_at IS NOT NULL AND i.ended_at <= i.deadline)
FROM instances i JOIN task_versions v ON v.id = i.version_id
WHERE i.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed')
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO summary_durations (project_id, bizdate, owner, tier, bucket, n)
SELECT i.project_id, i.bizdate, coalesce(v.spec->>'owner', ''), coalesce(nullif(v.spec->>'tier', ''), 'normal'),
    summary_bucket(i.duration_ms), count(*)
FROM instances i JOIN task_versions v ON v.id = i.version_id
WHERE i.state IN ('success', 'failed', 'killed', 'skipped', 'upstream_failed') AND i.duration_ms > 0
GROUP BY 1, 2, 3, 4, 5;
