-- A sample of task ($1, $2): $3 rows, $4 dead letters, $5 lag (NULL: not measured); samples
-- older than an hour go.
WITH gone AS (
    DELETE FROM inlet.task_samples
    WHERE connector = $1 AND task = $2 AND at < now() - interval '1 hour'
)
INSERT INTO inlet.task_samples (connector, task, rows, dead_letters, lag)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
