ALTER TABLE admin_units DROP COLUMN boundary_updated_at;
ALTER TABLE admin_units DROP COLUMN boundary;
