-- The `application` role stays allowed in SQLite (its CHECK would need another rebuild); its accounts go.
ALTER TABLE api_keys DROP COLUMN account_id;
DROP TABLE report_sources;
DELETE FROM users WHERE role = 'application';
