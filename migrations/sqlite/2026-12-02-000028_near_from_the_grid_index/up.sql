-- "Near" lists are ordered and cut by the database: it reads each candidate's position, visibility and
-- status from the grid index alone (a covering index), then only the page's rows from the table.
DROP INDEX reports_cell;
CREATE INDEX reports_cell ON reports (cell, id, lat, lon, is_public, status);
-- The same for the position index, which the planner may prefer for a small radius.
DROP INDEX reports_position;
CREATE INDEX reports_position ON reports (lat, lon, cell, status, is_public, due_at, id);
