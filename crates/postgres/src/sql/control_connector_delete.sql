-- Connector $1 (only at version $2, when given), its tasks (their rows go with it), its
-- stored offsets, the record of its columns' fields, its secrets and its dead letters: a
-- connector made again under the name starts afresh. The others go only if it does.
WITH gone AS (
    DELETE FROM inlet.connectors
    WHERE name = $1 AND ($2::int8 IS NULL OR version = $2)
    RETURNING name, config::text, target_state, tasks_max, version
), offsets AS (
    DELETE FROM inlet.offsets WHERE connector = $1 AND EXISTS (SELECT 1 FROM gone)
), columns AS (
    DELETE FROM inlet.columns WHERE connector = $1 AND EXISTS (SELECT 1 FROM gone)
), secrets AS (
    DELETE FROM inlet.secrets
    WHERE starts_with(name, $1 || '/') AND EXISTS (SELECT 1 FROM gone)
), dead_letters AS (
    DELETE FROM inlet.dead_letters WHERE connector = $1 AND EXISTS (SELECT 1 FROM gone)
)
SELECT name, config, target_state, tasks_max, version FROM gone
