-- A new connector ($1 name, $2 configuration as JSON text, $3 target state, $4 tasks);
-- no row when the name is taken.
INSERT INTO inlet.connectors (name, config, target_state, tasks_max)
VALUES ($1, $2::text::jsonb, $3, $4)
ON CONFLICT (name) DO NOTHING
RETURNING name, config::text, target_state, tasks_max, version
