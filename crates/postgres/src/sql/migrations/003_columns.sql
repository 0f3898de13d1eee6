-- Migration 3 of inlet's schema (columns' fields). Applied once, in order, under the setup lock;
-- recorded in inlet.migrations. Written idempotent, so that a schema made before
-- migrations were recorded takes it unchanged.

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
