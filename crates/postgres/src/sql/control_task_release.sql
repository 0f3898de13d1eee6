-- Worker $1 gives task ($2, $3) up.
UPDATE inlet.tasks
SET worker_id = NULL, lease_until = NULL, state = 'UNASSIGNED', trace = NULL, updated_at = now()
WHERE worker_id = $1 AND connector = $2 AND task = $3
