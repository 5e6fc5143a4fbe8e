DROP TABLE notifications;
ALTER TABLE media DROP COLUMN event_id;
