-- Connector $1's stored next offsets.
SELECT topic, "partition", next_offset
FROM inlet.offsets
WHERE connector = $1
ORDER BY topic, "partition"
