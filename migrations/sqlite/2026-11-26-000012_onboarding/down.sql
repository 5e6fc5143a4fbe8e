DELETE FROM one_time_tokens WHERE purpose = 'activate';
CREATE TABLE one_time_tokens_old (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email       TEXT,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
INSERT INTO one_time_tokens_old SELECT token_hash, user_id, purpose, email, created_at, expires_at, used_at FROM one_time_tokens;
DROP TABLE one_time_tokens;
ALTER TABLE one_time_tokens_old RENAME TO one_time_tokens;
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
ALTER TABLE outbox DROP COLUMN channel;
DROP TABLE onboarding_signups;
DROP TABLE campaign_agents;
DROP TABLE campaigns;
