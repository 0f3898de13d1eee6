-- Worker $1's tasks, their leases renewed for $2 seconds; with what each is to run: the
-- connector's configuration, target state and version, and the restarts asked of the task.
UPDATE inlet.tasks AS t
SET lease_until = now() + make_interval(secs => $2::double precision)
FROM inlet.connectors AS c
WHERE t.worker_id = $1 AND c.name = t.connector
RETURNING t.connector, t.task, c.config::text, c.target_state, c.version, t.restart_epoch
