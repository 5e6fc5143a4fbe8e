DROP TRIGGER report_search_delete;
DROP TRIGGER report_search_update;
DROP TRIGGER report_search_insert;
DROP TABLE report_search;
