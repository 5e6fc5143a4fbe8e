-- People who use the system. Ids are UUIDv7 in text form, the same on both databases.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT UNIQUE,
    phone           TEXT UNIQUE,
    password_hash   TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('citizen', 'volunteer', 'official', 'admin')),
    locale          TEXT NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
