-- The OpenID provider (R-AUTH-2). PostgreSQL dialect; keep in step with
-- ../sqlite/0002_oidc.sql.

CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,                    -- keyed SHA-256 (hex) of a high-entropy secret
    auth_method TEXT NOT NULL,           -- client_secret_basic | client_secret_post | private_key_jwt | none
    redirect_uris TEXT NOT NULL,         -- JSON array, exact strings
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,           -- JSON array
    allow_cpr BIGINT NOT NULL DEFAULT 0,
    require_par BIGINT NOT NULL DEFAULT 0,
    subject_type TEXT NOT NULL,          -- public | pairwise
    id_token_alg TEXT NOT NULL DEFAULT 'ES256', -- ES256 | RS256
    jwks_uri TEXT,
    jwks TEXT,
    status TEXT NOT NULL,                -- active | disabled
    created_at BIGINT NOT NULL
);

-- Token signing keys; the private key is encrypted under the master key.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    publish_until BIGINT
);

CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id),
    identity_id TEXT NOT NULL REFERENCES identities(id),
    grant_data TEXT NOT NULL,            -- JSON: redirect_uri, scope, nonce, PKCE, acr, amr, claims
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE par_requests (
    request_uri TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id),
    params TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Refresh tokens (rotated; a family is revoked on reuse) and the access
-- tokens issued from codes (so that a replayed code revokes them).
CREATE TABLE oauth_tokens (
    id TEXT PRIMARY KEY,                 -- jti for access tokens
    kind TEXT NOT NULL,                  -- access | refresh
    token_hash TEXT UNIQUE,              -- refresh tokens only
    family_id TEXT NOT NULL,
    code_hash TEXT,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id),
    identity_id TEXT REFERENCES identities(id),
    grant_data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX oauth_tokens_family ON oauth_tokens(family_id);
CREATE INDEX oauth_tokens_code ON oauth_tokens(code_hash);

-- Revoked self-contained access tokens (by jti) until they expire.
CREATE TABLE revoked_jtis (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE consents (
    identity_id TEXT NOT NULL REFERENCES identities(id),
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id),
    scopes TEXT NOT NULL,                -- space-separated
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (identity_id, client_id)
);

-- private_key_jwt replay protection (RFC 7523 jti).
CREATE TABLE client_assertion_jtis (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);

-- CPR match attempts: at most 3 per 15 minutes per holder and provider.
CREATE TABLE cpr_match_attempts (
    identity_id TEXT NOT NULL REFERENCES identities(id),
    client_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX cpr_match_attempts_by ON cpr_match_attempts(identity_id, client_id, at);
