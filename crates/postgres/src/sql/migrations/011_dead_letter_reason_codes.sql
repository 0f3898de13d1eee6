-- Migration 11 of inlet's schema (dead letters by reason code). Applied once, in order,
-- under the setup lock; recorded in inlet.migrations.

-- Each dead letter gets a code beside its sentence, one of inlet_postgres::ReasonCode (a
-- test keeps the CHECK's list equal to it), to filter and count by. Those stored before are
-- given the code their sentence shows, as the builds before this one worded them; a
-- sentence not recognised is 'unclassified', and so is a dead letter an older worker still
-- running stores without a code (the default), during a rolling upgrade.
ALTER TABLE inlet.dead_letters ADD COLUMN IF NOT EXISTS reason_code text;
UPDATE inlet.dead_letters SET reason_code = CASE
    WHEN error LIKE 'not a Confluent Avro frame%' THEN 'bad_frame'
    WHEN error LIKE 'schema id % is not in the schema registry%' THEN 'unknown_schema'
    WHEN error LIKE 'malformed Avro body%' THEN 'malformed_value'
    WHEN error LIKE 'field %: value % cannot be stored in column %' THEN 'value_refused'
    WHEN error LIKE 'the record''s key%' OR error LIKE 'the tombstone''s key%'
        OR error LIKE 'more than % key schema ids%' THEN 'key_unusable'
    WHEN error LIKE 'a tombstone (null value)%' THEN 'tombstone'
    WHEN error LIKE 'the database refused the row%' THEN 'database_refused'
    WHEN error LIKE 'schema id %' OR error LIKE 'the schema %' OR error LIKE 'column % of % is NOT NULL%'
        THEN 'unusable_schema'
    ELSE 'unclassified'
END
WHERE reason_code IS NULL;
ALTER TABLE inlet.dead_letters
    ALTER COLUMN reason_code SET DEFAULT 'unclassified',
    ALTER COLUMN reason_code SET NOT NULL;
ALTER TABLE inlet.dead_letters ADD CONSTRAINT dead_letters_reason_code_is_known
    CHECK (reason_code IN ('bad_frame', 'unknown_schema', 'unusable_schema', 'malformed_value',
                           'value_refused', 'key_unusable', 'tombstone', 'database_refused',
                           'unclassified'));
