-- The phones and tablets the app is installed on, and the push token each registered: where push
-- notifications go. A token belongs to one installation, and an installation to the account that
-- registered it last (a shared phone moves with whoever logged in on it).
CREATE TABLE devices (
    installation_id TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    platform        TEXT NOT NULL CHECK (platform IN ('android', 'ios')),
    push_token      TEXT NOT NULL UNIQUE,
    app_version     TEXT NOT NULL,
    locale          TEXT NOT NULL CHECK (locale IN ('vi', 'en')),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);
