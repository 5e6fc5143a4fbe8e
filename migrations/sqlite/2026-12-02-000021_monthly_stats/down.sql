DROP TABLE stats_changes;
DROP TABLE report_stats_months;
