-- Letters made in the same millisecond (an enrollment writes two) list in
-- the order they were made: SQLite has that order in the table's rowid, so
-- nothing changes here (PostgreSQL adds a sequence column).
SELECT 1;
