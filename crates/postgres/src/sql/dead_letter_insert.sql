-- The dead letters of a batch, in one statement: $1 the connector, then one array per
-- column, element i of each being dead letter i ($11: the reason codes).
-- A record with a dead letter already (met again after an offset reset, or by two workers
-- at once) updates it: the record as read now, the new reason, one more attempt. It stays
-- replayed when it is the record its replay stored (same key and value); another record at
-- that offset (the topic was made again) is a dead letter to replay anew.
INSERT INTO inlet.dead_letters AS l
    (connector, topic, "partition", "offset", kafka_timestamp, key, value, headers, schema_id, error, reason_code)
SELECT $1, d.topic, d."partition", d."offset", to_timestamp(d.ts / 1000), d.key, d.value,
       d.headers::jsonb, d.schema_id, d.error, d.reason_code
FROM unnest($2::text[], $3::int4[], $4::int8[], $5::float8[], $6::bytea[], $7::bytea[],
            $8::text[], $9::int8[], $10::text[], $11::text[])
    AS d(topic, "partition", "offset", ts, key, value, headers, schema_id, error, reason_code)
ON CONFLICT (connector, topic, "partition", "offset") DO UPDATE SET
    replayed_at = CASE
        WHEN l.key IS NOT DISTINCT FROM excluded.key AND l.value IS NOT DISTINCT FROM excluded.value
        THEN l.replayed_at
    END,
    kafka_timestamp = excluded.kafka_timestamp,
    key = excluded.key,
    value = excluded.value,
    headers = excluded.headers,
    schema_id = excluded.schema_id,
    error = excluded.error,
    reason_code = excluded.reason_code,
    attempts = l.attempts + 1,
    last_seen = now()
