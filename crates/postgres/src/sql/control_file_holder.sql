-- A live worker (heard of in the last $2 seconds) that runs connector $1 from its file.
SELECT worker_id FROM inlet.workers
WHERE $1 = ANY(files) AND heartbeat_at > now() - make_interval(secs => $2::double precision)
LIMIT 1
