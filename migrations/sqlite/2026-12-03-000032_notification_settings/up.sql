-- What each account chose to receive, per channel (push, email) and kind (news of reports it follows,
-- alerts to an office's officials), and its quiet hours (minutes after midnight, Vietnam time) when
-- pushes that are not urgent wait. No row: everything, no quiet hours. The in-app list always has all.
CREATE TABLE notification_settings (
    user_id             TEXT PRIMARY KEY REFERENCES users (id),
    push_report_news    BOOLEAN NOT NULL,
    push_office_alerts  BOOLEAN NOT NULL,
    email_report_news   BOOLEAN NOT NULL,
    email_office_alerts BOOLEAN NOT NULL,
    quiet_from          INTEGER CHECK (quiet_from BETWEEN 0 AND 1439),
    quiet_until         INTEGER CHECK (quiet_until BETWEEN 0 AND 1439),
    updated_at          TIMESTAMP NOT NULL,
    CHECK ((quiet_from IS NULL) = (quiet_until IS NULL))
);
