-- Migration 4 of inlet's schema (the control plane of `inlet serve`). Applied once, in
-- order, under the setup lock; recorded in inlet.migrations.

-- Connectors created over the API: the configuration as sent (Kafka Connect's flat string
-- map; a secret as a reference, or as sent when inlet serve has no secrets key), the state
-- they are to be in, how many
-- consumers (tasks) they run, and a version bumped by every change (a write names the
-- version it read: a concurrent edit is refused).
CREATE TABLE IF NOT EXISTS inlet.connectors (
    name          text    PRIMARY KEY,
    config        jsonb   NOT NULL,
    target_state  text    NOT NULL CHECK (target_state IN ('RUNNING', 'PAUSED', 'STOPPED')),
    tasks_max     integer NOT NULL CHECK (tasks_max BETWEEN 1 AND 1000),
    version       bigint  NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The workers (`inlet serve` processes) and when each was last heard of.
CREATE TABLE IF NOT EXISTS inlet.workers (
    worker_id     text PRIMARY KEY,
    version       text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per task of a connector (task 0 .. tasks_max - 1): the worker that holds it until
-- its lease ends, and what that worker last reported of it. Each task is one consumer in the
-- connector's group; Kafka spreads the partitions among them.
CREATE TABLE IF NOT EXISTS inlet.tasks (
    connector        text    NOT NULL REFERENCES inlet.connectors (name) ON DELETE CASCADE,
    task             integer NOT NULL,
    worker_id        text,
    lease_until      timestamptz,
    state            text    NOT NULL DEFAULT 'UNASSIGNED',
    trace            text,
    -- The connector version the holder runs, and the restarts asked of the task (a restart
    -- bumps restart_epoch; the holder restarts until applied_restart catches up).
    applied_version  bigint,
    restart_epoch    bigint  NOT NULL DEFAULT 0,
    applied_restart  bigint  NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, task)
);

-- Every change made over the API: who, what, and the versions before and after. No
-- configuration is kept here (it may hold secrets).
CREATE TABLE IF NOT EXISTS inlet.audit (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    who          text   NOT NULL,
    action       text   NOT NULL,
    connector    text   NOT NULL,
    old_version  bigint,
    new_version  bigint
);
