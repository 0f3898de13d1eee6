-- Fenced: moves only from the offset the batch started at ($4). No row updated means another
-- worker stored these records first: the transaction rolls back.
UPDATE inlet.offsets
SET next_offset = $5, updated_at = now()
WHERE connector = $1 AND topic = $2 AND "partition" = $3 AND next_offset = $4
