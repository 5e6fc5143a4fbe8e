-- Sign-ups retried with the same Idempotency-Key (their first answer lost on a weak network) get the
-- account the first one made. The body's fingerprint leaves the password out: a retry proves it by
-- the password itself, checked against the account's hash.
CREATE TABLE registration_keys (
    key           TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL
);
