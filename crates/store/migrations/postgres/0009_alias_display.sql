-- Issue 9. PostgreSQL dialect; keep in step with
-- ../sqlite/0009_alias_display.sql.

-- The username as the holder typed it ("Mette.Hansen"), for the pages.
-- `alias` stays the match key and the one that is unique: the display
-- form in Unicode NFC, lowercased (nyckel_core::alias::Alias::as_str), so
-- two holders never share a username that differs only in case or in
-- how an accent was encoded. NULL for usernames chosen before: those
-- were kept in their key form only, and the pages show that.
ALTER TABLE identities ADD COLUMN alias_display TEXT;
