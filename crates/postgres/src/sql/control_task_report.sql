-- Worker $1 reports task ($2, $3): its state $4, trace $5, the version it runs $6 and the
-- restarts it has made $7. A report made before a change or a restart asked (of an older
-- version, or of fewer restarts than asked) is dropped: the change made the task
-- UNASSIGNED, the restart RESTARTING, and the worker's next beat reports again once it has
-- applied them.
UPDATE inlet.tasks
SET state = $4, trace = $5, applied_version = $6, applied_restart = $7, updated_at = now()
WHERE worker_id = $1 AND connector = $2 AND task = $3
  AND $6 >= (SELECT version FROM inlet.connectors WHERE name = $2)
  AND $7 >= restart_epoch
