-- `q` looks for the folded text anywhere in a report's `search_text`: an FTS5 table with the trigram
-- tokenizer answers `LIKE '%…%'` from its index (for three characters or more). It keeps its own copy
-- of the text beside the report's id (reports have no stable integer rowid to point at), kept in step
-- by triggers.
CREATE VIRTUAL TABLE report_search USING fts5(report_id UNINDEXED, search_text, tokenize = 'trigram');
INSERT INTO report_search (report_id, search_text) SELECT id, search_text FROM reports;
CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN
    INSERT INTO report_search (report_id, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER report_search_update AFTER UPDATE OF search_text ON reports BEGIN
    DELETE FROM report_search WHERE report_id = old.id;
    INSERT INTO report_search (report_id, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER report_search_delete AFTER DELETE ON reports BEGIN
    DELETE FROM report_search WHERE report_id = old.id;
END;
