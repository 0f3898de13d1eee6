-- Connector $1's tasks: who holds each (while the lease lasts) and what it last reported.
SELECT task,
       CASE WHEN lease_until > now() THEN worker_id END,
       state, trace
FROM inlet.tasks
WHERE connector = $1
ORDER BY task
