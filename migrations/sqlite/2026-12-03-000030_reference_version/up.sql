-- The common paths (filing, a report's deadline) read reference data from memory: categories and their
-- deadlines, units, organizations, routing rules, the calendar. Every change to those tables (but a new
-- organization, see below) gives `reference_version` a new random token, so each instance sharing this
-- database sees that its copy is out of date on its next read, and two databases never share a token for
-- different data.
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);
INSERT INTO reference_version (id, token) VALUES (1, lower(hex(randomblob(16))));
CREATE TRIGGER categories_insert_changes_reference AFTER INSERT ON categories BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER categories_update_changes_reference AFTER UPDATE ON categories BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER categories_delete_changes_reference AFTER DELETE ON categories BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER category_deadlines_insert_changes_reference AFTER INSERT ON category_deadlines BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER category_deadlines_update_changes_reference AFTER UPDATE ON category_deadlines BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER category_deadlines_delete_changes_reference AFTER DELETE ON category_deadlines BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER admin_units_insert_changes_reference AFTER INSERT ON admin_units BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER admin_units_update_changes_reference AFTER UPDATE ON admin_units BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER admin_units_delete_changes_reference AFTER DELETE ON admin_units BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
-- Not on inserts into organizations: a commune's office is created by the first report filed there, and a
-- copy without it asks the database for it (a department reaches the copy through its routing rule).
CREATE TRIGGER organizations_update_changes_reference AFTER UPDATE ON organizations BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER organizations_delete_changes_reference AFTER DELETE ON organizations BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER routing_rules_insert_changes_reference AFTER INSERT ON routing_rules BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER routing_rules_update_changes_reference AFTER UPDATE ON routing_rules BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER routing_rules_delete_changes_reference AFTER DELETE ON routing_rules BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER calendar_days_insert_changes_reference AFTER INSERT ON calendar_days BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER calendar_days_update_changes_reference AFTER UPDATE ON calendar_days BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
CREATE TRIGGER calendar_days_delete_changes_reference AFTER DELETE ON calendar_days BEGIN
    UPDATE reference_version SET token = lower(hex(randomblob(16)));
END;
