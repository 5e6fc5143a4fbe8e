DROP TABLE idempotency_keys;
DROP TABLE report_supports;
DROP TABLE report_events;
DROP TABLE reports;
