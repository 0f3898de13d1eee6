-- At most $1 tasks no live worker holds, of connectors that are to run or be paused, locked
-- for this claim (another worker claiming at once skips them). Every connector's task 0
-- comes before any task 1, so that one connector's tasks spread over the workers.
SELECT t.connector, t.task
FROM inlet.tasks AS t
JOIN inlet.connectors AS c ON c.name = t.connector
WHERE c.target_state <> 'STOPPED'
  AND (t.worker_id IS NULL OR t.lease_until IS NULL OR t.lease_until < now())
ORDER BY t.task, t.connector
LIMIT $1
FOR UPDATE OF t SKIP LOCKED
