DELETE FROM users WHERE role = 'application';
ALTER TABLE users DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_check CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL);
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('citizen', 'volunteer', 'official', 'admin'));
ALTER TABLE api_keys DROP COLUMN account_id;
DROP TABLE report_sources;
