-- A restart asked of connector $1's tasks: all, or ($2 = true) only those FAILED, or ($3)
-- only task $3.
UPDATE inlet.tasks
SET restart_epoch = restart_epoch + 1
WHERE connector = $1
  AND (NOT $2 OR state = 'FAILED')
  AND ($3::integer IS NULL OR task = $3)
RETURNING task
