-- Worker $1 reports task ($2, $3)'s counters and partitions ($4, JSON text).
UPDATE inlet.tasks SET metrics = $4::text::jsonb
WHERE worker_id = $1 AND connector = $2 AND task = $3
