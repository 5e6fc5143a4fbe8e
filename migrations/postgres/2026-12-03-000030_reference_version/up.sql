-- The common paths (filing, a report's deadline) read reference data from memory: categories and their
-- deadlines, units, organizations, routing rules, the calendar. Every change to those tables (but a new
-- organization, see below) gives `reference_version` a new random token, so each instance sharing this
-- database sees that its copy is out of date on its next read, and two databases never share a token for
-- different data.
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
-- Not on inserts: a commune's office is created by the first report filed there, and a copy without it
-- asks the database for it (a department reaches the copy through its routing rule). Otherwise every
-- new office would send every instance to reload, its filing holding this row's lock until it commits.
CREATE TRIGGER organizations_changed AFTER UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE ON routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER calendar_days_changed AFTER INSERT OR UPDATE OR DELETE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
