-- QR-code onboarding drives: a campaign in a unit (and everything under it) over a period, with a target.
CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    unit_code       TEXT NOT NULL REFERENCES admin_units (code),
    province_code   TEXT NOT NULL REFERENCES admin_units (code),
    starts_on       DATE NOT NULL,
    ends_on         DATE NOT NULL,
    target_signups  INTEGER NOT NULL CHECK (target_signups > 0),
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    closed_at       TIMESTAMP
);
CREATE INDEX campaigns_province ON campaigns (province_code, id);

-- The volunteers of a campaign. `number` is what their signed code carries (a UUID is too long for a
-- short code).
CREATE TABLE campaign_agents (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL UNIQUE,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    user_id       TEXT REFERENCES users (id),
    display_name  TEXT NOT NULL,
    unit_code     TEXT NOT NULL REFERENCES admin_units (code),
    active        BOOLEAN NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX campaign_agents_campaign ON campaign_agents (campaign_id);
CREATE INDEX campaign_agents_user ON campaign_agents (user_id);

-- Which campaign, agent and unit an account is credited to: once (the key is the account).
CREATE TABLE onboarding_signups (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    agent_id     TEXT NOT NULL REFERENCES campaign_agents (id),
    unit_code    TEXT NOT NULL REFERENCES admin_units (code),
    assisted     BOOLEAN NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX onboarding_signups_campaign ON onboarding_signups (campaign_id);

-- The outbox carries text messages (activation codes) as well as mail.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'mail';

-- Activation codes of assisted accounts are one-time tokens too.
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'activate'));
