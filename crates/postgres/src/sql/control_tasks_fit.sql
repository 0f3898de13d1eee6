-- Connector $1's task rows for $2 tasks: the missing ones made, those beyond removed.
WITH made AS (
    INSERT INTO inlet.tasks (connector, task)
    SELECT $1, t FROM generate_series(0, $2 - 1) AS t
    ON CONFLICT (connector, task) DO NOTHING
)
DELETE FROM inlet.tasks WHERE connector = $1 AND task >= $2
