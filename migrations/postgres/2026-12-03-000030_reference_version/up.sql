-- The common paths (filing, a report's deadline) read reference data from memory: categories and their
-- deadlines, units, organizations, routing rules, the calendar. Every change to those tables gives
-- `reference_version` a new random token, so each instance sharing this database sees that its copy is
-- out of date on its next read, and two databases never share a token for different data.
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);
INSERT INTO reference_version (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text));

CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_version SET token = md5(random()::text || clock_timestamp()::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER category_deadlines_changed AFTER INSERT OR UPDATE OR DELETE ON category_deadlines
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER admin_units_changed AFTER INSERT OR UPDATE OR DELETE ON admin_units
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER organizations_changed AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE ON routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER calendar_days_changed AFTER INSERT OR UPDATE OR DELETE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
