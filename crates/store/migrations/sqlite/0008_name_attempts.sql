-- Issue 9. SQLite dialect; keep in step with
-- ../postgres/0008_name_attempts.sql.

-- Wrong passwords under a login name that matches nobody, counted as
-- untrusted failures of a real holder are, so that an unknown name gets
-- the same pause after the same failures and nobody learns from the
-- pause whether a user ID exists. Keyed by a keyed hash (HMAC with the
-- server secret) of the normalised name: a CPR number or user ID typed
-- is not readable here.
CREATE TABLE name_attempts (
    name_hash TEXT PRIMARY KEY,
    untrusted_failures INTEGER NOT NULL DEFAULT 0,
    untrusted_locks INTEGER NOT NULL DEFAULT 0,
    untrusted_locked_until INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX name_attempts_updated ON name_attempts (updated_at);
