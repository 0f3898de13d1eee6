-- Connector $1's tasks held by a live worker: the metrics each last reported (JSON text).
SELECT task, metrics::text FROM inlet.tasks
WHERE connector = $1 AND worker_id IS NOT NULL AND lease_until > now() AND metrics IS NOT NULL
ORDER BY task
