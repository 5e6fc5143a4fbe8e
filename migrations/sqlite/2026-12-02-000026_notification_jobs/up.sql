-- News of a report with more followers than CDS_NOTIFY_INLINE_MOST is not told inside the action's
-- transaction: the action leaves one job here (the message already written in each language), and the
-- outbox worker tells the followers page by page, each page in one transaction with the job's cursor
-- (`after_user`, the last follower told), so each is told once however many instances work. A job
-- told to everyone is kept (`done_at`) as long as sent mail is, then deleted.
CREATE TABLE notification_jobs (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    except_user TEXT,
    with_supporters BOOLEAN NOT NULL,
    message_vi TEXT NOT NULL,
    message_en TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    after_user TEXT,
    done_at TIMESTAMP
);
CREATE INDEX notification_jobs_waiting ON notification_jobs (done_at, id);
