-- inlet's own tables, in the target database. Idempotent.
CREATE SCHEMA IF NOT EXISTS inlet;

-- The offsets of record: the next offset to store, per connector and partition. Advanced in
-- the same transaction as the rows, and only from the value the writer started from.
CREATE TABLE IF NOT EXISTS inlet.offsets (
    connector   text    NOT NULL,
    topic       text    NOT NULL,
    "partition" integer NOT NULL,
    next_offset bigint  NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, topic, "partition")
);

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
