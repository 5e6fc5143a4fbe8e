-- A unit's boundary as a GeoJSON Polygon or MultiPolygon geometry ([lon, lat], WGS84), when one is loaded.
ALTER TABLE admin_units ADD COLUMN boundary TEXT;
ALTER TABLE admin_units ADD COLUMN boundary_updated_at TIMESTAMP;
