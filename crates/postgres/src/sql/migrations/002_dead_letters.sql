-- Migration 2 of inlet's schema (dead letters). Applied once, in order, under the setup lock;
-- recorded in inlet.migrations. Written idempotent, so that a schema made before
-- migrations were recorded takes it unchanged.

-- Records that could not be stored, with the reason: nothing is dropped.
CREATE TABLE IF NOT EXISTS inlet.dead_letters (
    id           bigserial PRIMARY KEY,
    connector    text    NOT NULL,
    topic        text    NOT NULL,
    "partition"  integer NOT NULL,
    "offset"     bigint  NOT NULL,
    kafka_timestamp timestamptz,
    key          bytea,
    value        bytea,
    headers      jsonb,
    schema_id    bigint,
    error        text    NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connector, topic, "partition", "offset")
);
