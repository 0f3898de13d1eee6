-- $1: the quoted hypertable, $2: how old a chunk is when it is converted to the columnstore.
CALL add_columnstore_policy($1::text::regclass, after => $2::text::interval, if_not_exists => true)
