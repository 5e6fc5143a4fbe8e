-- People who use the system. Ids are UUIDv7 in text form, the same on both databases; times are UTC.
CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT UNIQUE,
    phone               TEXT UNIQUE,
    password_hash       TEXT NOT NULL,
    full_name           TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('citizen', 'volunteer', 'official', 'admin')),
    locale              TEXT NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    -- The unit whose office an official or volunteer works for.
    unit_code           TEXT REFERENCES admin_units (code),
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    email_verified_at   TIMESTAMP,
    -- Consent to personal-data processing (Decree 13/2023/ND-CP), when given at sign-up.
    consent_at          TIMESTAMP,
    onboarding_code     TEXT,
    -- Name, email and phone folded for diacritic-insensitive search by administrators.
    search_text         TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    -- Set when the person deleted their account; personal fields are erased then.
    deleted_at          TIMESTAMP,
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL)
);
CREATE INDEX users_role ON users (role, created_at);

-- Failed log-ins per login name (not per account, so unknown names behave like known ones).
CREATE TABLE login_attempts (
    login_key       TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until    TIMESTAMP,
    last_failure_at TIMESTAMP NOT NULL
);

-- Opaque refresh tokens, stored as SHA-256; a family is one log-in and its rotations.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Single-use tokens sent by mail (email verification, password reset), stored as SHA-256.
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email       TEXT,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
