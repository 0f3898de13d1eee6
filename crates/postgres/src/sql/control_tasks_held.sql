-- How many live tasks each worker holds per connector: (connector, worker, count).
SELECT connector, worker_id, count(*)
FROM inlet.tasks
WHERE worker_id IS NOT NULL AND lease_until > now()
GROUP BY connector, worker_id
