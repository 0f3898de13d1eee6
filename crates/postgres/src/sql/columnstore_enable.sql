-- TimescaleDB's columnstore on hypertable {table}: chunks segmented by {segmentby} and ordered
-- by {orderby} (string literals of quoted column lists: ALTER TABLE … SET takes no parameters).
ALTER TABLE {table} SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = {segmentby}, timescaledb.orderby = {orderby})
