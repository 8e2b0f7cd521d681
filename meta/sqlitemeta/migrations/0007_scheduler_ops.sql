-- Ops center: the order in which the backfill gate releases periods, and
-- which instances the deadline watcher reported late.

ALTER TABLE backfills ADD COLUMN ord TEXT NOT NULL DEFAULT 'asc';
ALTER TABLE instances ADD COLUMN late_at TEXT;
CREATE INDEX instances_deadline ON instances (deadline)
    WHERE deadline IS NOT NULL AND late_at IS NULL AND state IN ('waiting', 'queued', 'running');
CREATE INDEX instances_backfill ON instances (backfill_id, bizdate) WHERE backfill_id <> 0;
