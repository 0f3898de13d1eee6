-- $1: the quoted table name, $2: the time column, $3: the chunk interval (all sent as text:
-- a text parameter cast here, since the driver sends no text as regclass or interval).
SELECT create_hypertable($1::text::regclass, by_range($2::text::name, $3::text::interval), if_not_exists => true)
