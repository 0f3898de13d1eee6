-- Before an upsert run is COPYed straight into its table (its keys taken for new): a key
-- stored already undoes the COPY to here, and the run is staged instead.
SAVEPOINT inlet_new_keys
