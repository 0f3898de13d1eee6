-- Worker $1 (version $2, running $3 from its configuration file) is alive.
INSERT INTO inlet.workers (worker_id, version, files)
VALUES ($1, $2, $3)
ON CONFLICT (worker_id) DO UPDATE
SET heartbeat_at = now(), version = EXCLUDED.version, files = EXCLUDED.files
