-- One row into the preview's table: COPY of the columns ({columns}, quoted by preview.rs).
COPY pg_temp.inlet_preview ({columns}) FROM STDIN (FORMAT binary)
