DROP INDEX reports_running_due;
DROP INDEX reports_unit_received;
DROP TABLE stats_changes;
DROP TABLE report_stats_days;
DROP TABLE report_stats_months;
