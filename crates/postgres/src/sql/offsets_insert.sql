-- A partition's first batch: no row may exist yet, or another worker got there first.
INSERT INTO inlet.offsets (connector, topic, "partition", next_offset)
VALUES ($1, $2, $3, $4)
ON CONFLICT (connector, topic, "partition") DO NOTHING
