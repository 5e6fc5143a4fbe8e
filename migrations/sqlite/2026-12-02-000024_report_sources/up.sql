-- SQLite cannot change a CHECK constraint in place, so `users` is rebuilt (for the `application` role,
-- whose accounts have no email or phone) the way SQLite documents: foreign keys off, one transaction;
-- hence no transaction around this migration (metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN;

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
-- it gives: no email, no phone, so nobody can sign in to it. (No REFERENCES here: SQLite cannot
-- drop a column that has one, which down.sql does.)
ALTER TABLE api_keys ADD COLUMN account_id TEXT;

-- Applications' accounts (see api_keys.account_id): the `application` role, without email or phone.
CREATE TABLE users_rebuilt (
    id                  TEXT PRIMARY KEY,
    email               TEXT UNIQUE,
    phone               TEXT UNIQUE,
    password_hash       TEXT NOT NULL,
    full_name           TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('citizen', 'volunteer', 'official', 'admin', 'application')),
    locale              TEXT NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    unit_code           TEXT REFERENCES admin_units (code),
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    email_verified_at   TIMESTAMP,
    consent_at          TIMESTAMP,
    onboarding_code     TEXT,
    search_text         TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    deleted_at          TIMESTAMP,
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL OR role = 'application')
);
INSERT INTO users_rebuilt SELECT id, email, phone, password_hash, full_name, role, locale, unit_code, active,
    email_verified_at, consent_at, onboarding_code, search_text, created_at, updated_at, deleted_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_role ON users (role, created_at);

COMMIT;
PRAGMA foreign_keys = ON;
