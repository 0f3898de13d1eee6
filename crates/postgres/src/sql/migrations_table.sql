-- inlet's schema and its record of migrations: one row per migration applied.
CREATE SCHEMA IF NOT EXISTS inlet;
CREATE TABLE IF NOT EXISTS inlet.migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
