INSERT INTO inlet.dead_letters
    (connector, topic, "partition", "offset", kafka_timestamp, key, value, headers, schema_id, error)
VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000), $6, $7, $8::text::jsonb, $9, $10)
