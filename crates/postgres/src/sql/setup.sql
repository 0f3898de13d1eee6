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

-- The field each column of a target table was created or first mapped for, per connector
-- (mapping = "auto"): later schema versions fill a column from the same field, whatever
-- names their own proposals would give (a new field never takes over a column).
CREATE TABLE IF NOT EXISTS inlet.columns (
    connector    text NOT NULL,
    table_schema text NOT NULL,
    table_name   text NOT NULL,
    column_name  text NOT NULL,
    source       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, table_schema, table_name, column_name)
);
