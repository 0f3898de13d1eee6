-- Worker $1 reports task ($2, $3): its state $4, trace $5, the version it runs $6 and the
-- restarts it has made $7. A report of a version older than the connector's is dropped: it
-- was made before a change (which made the task UNASSIGNED), and the worker's next beat
-- reports again with the new version.
UPDATE inlet.tasks
SET state = $4, trace = $5, applied_version = $6, applied_restart = $7, updated_at = now()
WHERE worker_id = $1 AND connector = $2 AND task = $3
  AND $6 >= (SELECT version FROM inlet.connectors WHERE name = $2)
