-- Task ($2, $3) is worker $1's for $4 seconds.
UPDATE inlet.tasks
SET worker_id = $1, lease_until = now() + make_interval(secs => $4::double precision),
    state = 'UNASSIGNED', trace = NULL, updated_at = now()
WHERE connector = $2 AND task = $3
