-- Migration 5 of inlet's schema (dead-letter replay). Applied once, in order, under the
-- setup lock; recorded in inlet.migrations.

-- When a dead letter was replayed into its table (in the transaction that stored its row),
-- and how many times a replay was tried.
ALTER TABLE inlet.dead_letters ADD COLUMN IF NOT EXISTS replayed_at timestamptz;
ALTER TABLE inlet.dead_letters ADD COLUMN IF NOT EXISTS replays integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS dead_letters_connector_id ON inlet.dead_letters (connector, id);
