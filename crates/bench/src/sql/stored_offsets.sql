-- The records a connector has stored, for a topic whose offsets start at 0 with no gaps.
SELECT coalesce(sum(next_offset), 0)::bigint FROM inlet.offsets WHERE connector = $1
