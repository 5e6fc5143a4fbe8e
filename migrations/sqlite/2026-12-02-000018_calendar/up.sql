-- The announced changes to the working calendar: a day off or a worked weekend day, for the whole country
-- (province_code '') or one province. The statutory holidays are computed, not stored (src/calendar/).
CREATE TABLE calendar_days (
    date            DATE NOT NULL,
    province_code   TEXT NOT NULL CHECK (province_code = '' OR (length(province_code) = 2 AND province_code NOT GLOB '*[^0-9]*')),
    working         BOOLEAN NOT NULL,
    name            TEXT NOT NULL,
    notice          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    updated_by      TEXT REFERENCES users (id),
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (date, province_code)
);
