-- The heatmaps count reports per grid cell in a box: with what they count in the position index, the
-- count is read from the index alone (a covering index), not from a row of the table per report.
DROP INDEX reports_position;
CREATE INDEX reports_position ON reports (lat, lon, cell, status, is_public, due_at);
