-- Connector $1's next offset of ($2, $3) set to $4.
INSERT INTO inlet.offsets (connector, topic, "partition", next_offset)
VALUES ($1, $2, $3, $4)
ON CONFLICT (connector, topic, "partition")
DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
