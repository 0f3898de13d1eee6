-- Connector $1's dead letters $2 not yet replayed, with their raw records, in offset order.
SELECT id, topic, "partition", "offset",
       (extract(epoch FROM kafka_timestamp) * 1000)::int8, key, value, headers::text
FROM inlet.dead_letters
WHERE connector = $1 AND id = ANY($2) AND replayed_at IS NULL
ORDER BY topic, "partition", "offset"
