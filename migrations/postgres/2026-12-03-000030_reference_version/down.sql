DROP TRIGGER categories_changed ON categories;
DROP TRIGGER category_deadlines_changed ON category_deadlines;
DROP TRIGGER admin_units_changed ON admin_units;
DROP TRIGGER organizations_changed ON organizations;
DROP TRIGGER routing_rules_changed ON routing_rules;
DROP TRIGGER calendar_days_changed ON calendar_days;
DROP FUNCTION reference_changed();
DROP TABLE reference_version;
