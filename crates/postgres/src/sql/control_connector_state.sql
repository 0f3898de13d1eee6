-- The state connector $1 is to be in ($2: RUNNING, PAUSED or STOPPED).
UPDATE inlet.connectors
SET target_state = $2, version = version + 1, updated_at = now()
WHERE name = $1
RETURNING name, config::text, target_state, tasks_max, version
