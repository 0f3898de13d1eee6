-- A page of connector $1's dead letters: ids after $2, whose reason contains $3 (NULL:
-- any), of topic $4 (NULL: any), replayed ones only if $5, at most $6, of reason code $7
-- (NULL: any).
SELECT id, topic, "partition", "offset",
       (extract(epoch FROM kafka_timestamp) * 1000)::int8,
       octet_length(key), octet_length(value), headers::text, schema_id, error,
       to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(replayed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       replays, attempts,
       to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       reason_code
FROM inlet.dead_letters
WHERE connector = $1 AND id > $2
  AND ($3::text IS NULL OR strpos(error, $3) > 0)
  AND ($4::text IS NULL OR topic = $4)
  AND ($5 OR replayed_at IS NULL)
  AND ($7::text IS NULL OR reason_code = $7)
ORDER BY id
LIMIT $6
