-- Migration 6 of inlet's schema (metrics of `inlet serve`'s tasks). Applied once, in order,
-- under the setup lock; recorded in inlet.migrations.

-- What the worker holding a task last reported of it: rows, dead letters, batches, rows
-- per second, and per partition its stored offset, last stable offset and lag (JSON).
ALTER TABLE inlet.tasks ADD COLUMN IF NOT EXISTS metrics jsonb;

-- A task's counters every 15 s, kept an hour: throughput and lag over the last minutes.
CREATE TABLE IF NOT EXISTS inlet.task_samples (
    connector     text        NOT NULL,
    task          integer     NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    rows          bigint      NOT NULL,
    dead_letters  bigint      NOT NULL,
    lag           bigint,
    PRIMARY KEY (connector, task, at)
);
