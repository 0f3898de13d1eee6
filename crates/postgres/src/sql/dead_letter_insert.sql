-- The dead letters of a batch, in one statement: $1 the connector, then one array per
-- column, element i of each being dead letter i.
INSERT INTO inlet.dead_letters
    (connector, topic, "partition", "offset", kafka_timestamp, key, value, headers, schema_id, error)
SELECT $1, d.topic, d."partition", d."offset", to_timestamp(d.ts / 1000), d.key, d.value,
       d.headers::jsonb, d.schema_id, d.error
FROM unnest($2::text[], $3::int4[], $4::int8[], $5::float8[], $6::bytea[], $7::bytea[],
            $8::text[], $9::int8[], $10::text[])
    AS d(topic, "partition", "offset", ts, key, value, headers, schema_id, error)
