-- Whether connector $1's offsets may be changed: its state (locked against a concurrent
-- change) and how many of its tasks a live worker still holds.
SELECT c.target_state,
       (SELECT count(*) FROM inlet.tasks AS t
        WHERE t.connector = c.name AND t.worker_id IS NOT NULL AND t.lease_until > now())
FROM inlet.connectors AS c
WHERE c.name = $1
FOR UPDATE OF c
