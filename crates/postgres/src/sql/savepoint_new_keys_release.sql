-- Every key of the run was new: the COPY stands.
RELEASE SAVEPOINT inlet_new_keys
