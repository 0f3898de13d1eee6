-- Worker $1 leaves: its tasks are free at once, and it is no longer counted.
WITH freed AS (
    UPDATE inlet.tasks
    SET worker_id = NULL, lease_until = NULL, state = 'UNASSIGNED', trace = NULL, updated_at = now()
    WHERE worker_id = $1
)
DELETE FROM inlet.workers WHERE worker_id = $1
