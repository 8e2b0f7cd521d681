-- When a backfill's last instance ended and "backfill finished" was announced.
ALTER TABLE backfills ADD COLUMN finished_at TEXT;
