-- $1: the quoted table name, $2: the time column, $3: the chunk interval.
SELECT create_hypertable($1::regclass, by_range($2, $3::interval), if_not_exists => true)
