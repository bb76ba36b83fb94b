-- 0014, PostgreSQL's part: applied with 0014_quick_answers.sql as one
-- migration, after it.
-- The search's index: a trigram GIN index (pg_trgm) over the folded
-- search column, which serves LIKE '%term%'. pg_trgm is a trusted
-- extension: the database's owner may create it. It is created once per
-- database in schema public (in a schema of the server's own, a DROP
-- SCHEMA ... CASCADE would take it from every other schema's indexes), or
-- used where it already is.
DO $$
DECLARE ext_schema TEXT;
BEGIN
	SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
	IF ext_schema IS NULL THEN
		IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
			ext_schema := 'public';
		ELSE
			ext_schema := current_schema();
		END IF;
		EXECUTE format('CREATE EXTENSION pg_trgm SCHEMA %I', ext_schema);
	END IF;
	EXECUTE format('CREATE INDEX quick_answers_search ON quick_answers USING gin (search %I.gin_trgm_ops)', ext_schema);
END
$$;
