-- Letters made in the same millisecond (an enrollment writes two) list in
-- the order they were made. SQLite has the same order in its rowid.
ALTER TABLE outbox ADD COLUMN seq BIGSERIAL;
