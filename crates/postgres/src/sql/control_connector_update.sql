-- A new configuration ($2 JSON text, $3 tasks) for connector $1, only from version $4 (the
-- one the writer read): no row when another write came first. The last column says whether
-- the configuration changed.
UPDATE inlet.connectors AS c
SET config = $2::text::jsonb, tasks_max = $3, version = c.version + 1, updated_at = now()
FROM (SELECT config AS config FROM inlet.connectors WHERE name = $1) AS old
WHERE c.name = $1 AND c.version = $4
RETURNING c.name, c.config::text, c.target_state, c.tasks_max, c.version,
          old.config IS DISTINCT FROM c.config
