-- One connector ($1: its name).
SELECT name, config::text, target_state, tasks_max, version
FROM inlet.connectors
WHERE name = $1
