-- Whether inlet.migrations exists (read without a lock or DDL).
SELECT to_regclass('inlet.migrations') IS NOT NULL
