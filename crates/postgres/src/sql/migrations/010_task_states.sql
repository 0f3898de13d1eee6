-- A task's state is one of Kafka Connect's, the list of inlet_engine::ConnectorState (the
-- API's and the console's states come from that one enum; a test keeps this list equal to
-- it). A state of no such name, which no build wrote, reads as UNASSIGNED.
UPDATE inlet.tasks SET state = 'UNASSIGNED'
WHERE state NOT IN ('UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING');
ALTER TABLE inlet.tasks ADD CONSTRAINT tasks_state_is_a_connect_state
    CHECK (state IN ('UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'));
