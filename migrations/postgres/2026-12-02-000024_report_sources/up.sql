-- Where a report came from when not from our own app: the channel (`open311`), the API key of the
-- application that filed it, and the contact the application gave for its reporter (first and last
-- name, email, phone, device and the application's own account id) and a photo it links to. Reports
-- filed in the app have no row here (their channel is `app`).
CREATE TABLE report_sources (
    report_id TEXT PRIMARY KEY REFERENCES reports (id),
    channel TEXT NOT NULL,
    api_key_id TEXT REFERENCES api_keys (id),
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    device_id TEXT,
    account_id TEXT,
    media_url TEXT
);

-- The account an application's reports are filed under when no citizen's account matches the contact
-- it gives: no email, no phone, so nobody can sign in to it.
ALTER TABLE api_keys ADD COLUMN account_id TEXT REFERENCES users (id);
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('citizen', 'volunteer', 'official', 'admin', 'application'));
ALTER TABLE users DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_check
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL OR role = 'application');
