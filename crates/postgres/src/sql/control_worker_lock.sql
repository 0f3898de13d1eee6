-- Worker id $1 is this session's while it lasts (a session lock: it ends with the process,
-- however the process ends). False when another session holds it.
SELECT pg_try_advisory_lock(hashtextextended('inlet worker ' || $1, 0))
