-- Migration 9 of inlet's schema (a dead letter met again). Applied once, in order, under the
-- setup lock; recorded in inlet.migrations.

-- A record that fails again — read again after its connector's offsets were reset, or
-- replayed and still not stored — updates its dead letter (the unique key is connector,
-- topic, partition, offset): `attempts` counts the failures, `last_seen` is the latest
-- (`failed_at` stays the first). A dead letter made before this migration was seen once.
ALTER TABLE inlet.dead_letters ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 1;
ALTER TABLE inlet.dead_letters ADD COLUMN IF NOT EXISTS last_seen timestamptz;
UPDATE inlet.dead_letters SET last_seen = failed_at WHERE last_seen IS NULL;
ALTER TABLE inlet.dead_letters
    ALTER COLUMN last_seen SET DEFAULT now(),
    ALTER COLUMN last_seen SET NOT NULL;
