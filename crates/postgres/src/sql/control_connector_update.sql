-- A new configuration ($2 JSON text, $3 tasks) for connector $1, only from version $4 (the
-- one the writer read): no row when another write came first.
UPDATE inlet.connectors
SET config = $2::text::jsonb, tasks_max = $3, version = version + 1, updated_at = now()
WHERE name = $1 AND version = $4
RETURNING name, config::text, target_state, tasks_max, version
