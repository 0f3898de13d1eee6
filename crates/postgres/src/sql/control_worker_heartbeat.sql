-- Worker $1 (version $2) is alive.
INSERT INTO inlet.workers (worker_id, version)
VALUES ($1, $2)
ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), version = EXCLUDED.version
