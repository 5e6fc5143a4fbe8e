DROP INDEX reports_cell;
CREATE INDEX reports_cell ON reports (cell, id);
DROP INDEX reports_position;
CREATE INDEX reports_position ON reports (lat, lon, cell, status, is_public, due_at);
