-- Whether worker $1 was heard of in the last $2 seconds.
SELECT EXISTS (
    SELECT 1 FROM inlet.workers
    WHERE worker_id = $1 AND heartbeat_at > now() - make_interval(secs => $2::double precision)
)
