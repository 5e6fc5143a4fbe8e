DELETE FROM one_time_tokens WHERE purpose = 'activate';
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password'));
ALTER TABLE outbox DROP COLUMN channel;
DROP TABLE onboarding_signups;
DROP TABLE campaign_agents;
DROP TABLE campaigns;
