-- The state connector $1 is to be in ($2: RUNNING, PAUSED or STOPPED). The configuration's
-- version does not change (an edit made from it is not refused for a pause).
UPDATE inlet.connectors
SET target_state = $2, updated_at = now()
WHERE name = $1
RETURNING name, config::text, target_state, tasks_max, version
