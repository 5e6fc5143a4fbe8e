-- Requests counted in windows of a minute, shared by every instance of the server: per client address
-- (a high ceiling against floods) and per person or thing a request is for (a login name, a phone, a
-- device, a volunteer, an API key). A bucket names its value only by a SHA-256.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
