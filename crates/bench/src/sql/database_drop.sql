-- The benchmark's database is made afresh each run. {database}: its quoted name.
DROP DATABASE IF EXISTS {database} WITH (FORCE);
