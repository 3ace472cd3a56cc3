-- Issue 9. PostgreSQL dialect; keep in step with
-- ../sqlite/0007_identity_language.sql.

-- The holder's language for everything without a browser: letters, key
-- cards reissued later, the texts the code app will show. Chosen at
-- enrollment, changeable in My nyckel; Danish for identities made before.
ALTER TABLE identities ADD COLUMN language TEXT NOT NULL DEFAULT 'da'
    CHECK (language IN ('da', 'en', 'sv'));
