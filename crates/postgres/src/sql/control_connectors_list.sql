-- Every connector stored, by name.
SELECT name, config::text, target_state, tasks_max, version
FROM inlet.connectors
ORDER BY name
