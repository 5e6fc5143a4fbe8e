-- `q` looks for the folded text anywhere in a report's (or an account's) `search_text`, which a B-tree
-- cannot answer: trigram GIN indexes (pg_trgm) can. The extension lives in `public` (tests give each
-- run a schema of its own; deployments use `public` anyway). pg_trgm is a trusted extension: the
-- database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX reports_search_trigrams ON reports USING gin (search_text public.gin_trgm_ops);
CREATE INDEX users_search_trigrams ON users USING gin (search_text public.gin_trgm_ops);
-- Named as SQLite's full-text table, so one query serves both databases.
CREATE VIEW report_search AS SELECT id AS report_id, search_text FROM reports;
