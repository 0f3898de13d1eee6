-- A restart asked of connector $1's tasks: all, or ($2 = true) only those FAILED, or ($3)
-- only task $3. A task a worker holds is RESTARTING until that worker has restarted it and
-- reports again (its reports of before the restart are dropped: control_task_report.sql).
UPDATE inlet.tasks
SET restart_epoch = restart_epoch + 1,
    state = CASE WHEN worker_id IS NOT NULL THEN 'RESTARTING' ELSE state END
WHERE connector = $1
  AND (NOT $2 OR state = 'FAILED')
  AND ($3::integer IS NULL OR task = $3)
RETURNING task
