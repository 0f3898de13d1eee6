-- Connector $1's configuration changed: its tasks start again with the new one, so they are
-- UNASSIGNED until their worker reports them (a status read right after the change does not
-- show the tasks of the old configuration RUNNING).
UPDATE inlet.tasks
SET state = 'UNASSIGNED', trace = NULL, updated_at = now()
WHERE connector = $1
