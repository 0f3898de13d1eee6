-- A key of the run was stored already: the COPY is undone (and the savepoint let go), the
-- transaction goes on.
ROLLBACK TO SAVEPOINT inlet_new_keys;
RELEASE SAVEPOINT inlet_new_keys
