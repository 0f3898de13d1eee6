-- The records the connectors whose names match $1 (a LIKE pattern) have stored, for topics
-- whose offsets start at 0 with no gaps.
SELECT coalesce(sum(next_offset), 0)::bigint FROM inlet.offsets WHERE connector LIKE $1
