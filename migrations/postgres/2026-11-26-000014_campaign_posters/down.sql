ALTER TABLE campaigns DROP COLUMN poster_agent_id;
