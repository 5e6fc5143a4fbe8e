DROP INDEX reports_position;
CREATE INDEX reports_position ON reports (lat, lon);
