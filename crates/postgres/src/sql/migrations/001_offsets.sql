-- Migration 1 of inlet's schema (offsets). Applied once, in order, under the setup lock;
-- recorded in inlet.migrations. Written idempotent, so that a schema made before
-- migrations were recorded takes it unchanged.

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
