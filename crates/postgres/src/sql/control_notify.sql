-- Tells every worker listening that connector $1 changed (sent when the transaction
-- commits; a worker that misses it sees the change at its next periodic look).
SELECT pg_notify('inlet_control', $1)
