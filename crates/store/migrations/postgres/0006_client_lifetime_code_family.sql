-- Issue 8, slice 2. PostgreSQL dialect; keep in step with
-- ../sqlite/0006_client_lifetime_code_family.sql.

-- How long a client's access tokens live, in seconds (60..=3600, checked
-- by the service; 300 was the one lifetime before).
ALTER TABLE oidc_clients ADD COLUMN access_token_lifetime BIGINT NOT NULL DEFAULT 300;

-- The token family a code started, set when the code is redeemed: a replay
-- revokes that family even after the access token that carried the code's
-- hash has expired and been swept.
ALTER TABLE authorization_codes ADD COLUMN family_id TEXT;

-- The minute sweep deletes used codes by their time of use.
CREATE INDEX authorization_codes_used_at ON authorization_codes (used_at);
