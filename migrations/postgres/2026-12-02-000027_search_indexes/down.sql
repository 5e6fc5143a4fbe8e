DROP VIEW report_search;
DROP INDEX users_search_trigrams;
DROP INDEX reports_search_trigrams;
