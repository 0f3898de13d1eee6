-- The workers heard of in the last $1 seconds.
SELECT worker_id FROM inlet.workers
WHERE heartbeat_at > now() - make_interval(secs => $1::double precision)
ORDER BY worker_id
