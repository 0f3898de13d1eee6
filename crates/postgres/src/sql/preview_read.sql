-- The row the COPY before stored, as PostgreSQL holds it, in JSON (jsonb's rendering of
-- each column's value).
SELECT to_jsonb(p)::text FROM pg_temp.inlet_preview AS p
