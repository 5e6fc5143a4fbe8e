-- A campaign's own code, for posters on the office wall: sign-ups through it are credited to the
-- campaign and its unit, with no volunteer. Made the first time a poster without a volunteer is asked for.
ALTER TABLE campaigns ADD COLUMN poster_agent_id TEXT REFERENCES campaign_agents (id);
