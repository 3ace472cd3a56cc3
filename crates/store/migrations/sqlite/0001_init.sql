-- nyckel's data model for the whole of SPEC.md (SQLite dialect; keep in step
-- with ../postgres/0001_init.sql). Times are Unix milliseconds, ids are
-- UUID text unless said otherwise.

CREATE TABLE persons (
    id TEXT PRIMARY KEY,                 -- the person's stable UUID (claim `uuid`)
    cpr TEXT NOT NULL UNIQUE,            -- 10 digits, no dash
    birth_date TEXT NOT NULL,            -- YYYY-MM-DD
    given_names TEXT NOT NULL,
    surname TEXT NOT NULL,
    address TEXT NOT NULL,
    residence TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Dated changes from imports and the change feed (R-CPR-2, R-CPR-3).
CREATE TABLE person_changes (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    changed_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT NOT NULL
);
CREATE INDEX person_changes_person ON person_changes(person_id, changed_at);

CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    user_id TEXT NOT NULL UNIQUE,        -- 9 digits
    alias TEXT UNIQUE,                   -- normalised (lower case)
    status TEXT NOT NULL,
    status_reason TEXT,
    status_changed_at INTEGER,
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    terms_version INTEGER,
    terms_accepted_at INTEGER,
    key_card_threshold INTEGER NOT NULL DEFAULT 20
);
-- R-ENR-5: one live identity per person.
CREATE UNIQUE INDEX identities_one_live_per_person ON identities(person_id) WHERE status <> 'revoked';

CREATE TABLE terms_acceptances (
    identity_id TEXT NOT NULL REFERENCES identities(id),
    version INTEGER NOT NULL,
    accepted_at INTEGER NOT NULL,
    PRIMARY KEY (identity_id, version)
);

CREATE TABLE enrollments (
    id TEXT PRIMARY KEY,
    person_id TEXT REFERENCES persons(id),
    identity_id TEXT REFERENCES identities(id),
    channel TEXT NOT NULL,
    documents TEXT NOT NULL,             -- JSON array of document kinds
    witness_person_id TEXT REFERENCES persons(id),
    outcome TEXT NOT NULL,               -- accepted | refused
    refusal_rule TEXT,
    officer TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- Every authenticator: activation code, password, key card, app device,
-- code token, passkey. Kind-specific public data is JSON in `data`.
CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    label TEXT,                          -- card id, device name, …
    secret_hash TEXT,                    -- Argon2id PHC string, or keyed hash (hex)
    data TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    untrusted_failures INTEGER NOT NULL DEFAULT 0,
    untrusted_locks INTEGER NOT NULL DEFAULT 0,
    untrusted_locked_until INTEGER,
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    last_used_at INTEGER,
    expires_at INTEGER,
    status_changed_at INTEGER,
    status_reason TEXT
);
CREATE INDEX credentials_identity ON credentials(identity_id, kind, status);

-- Key-card codes, only as keyed hashes; a shown key is used (R-CRED-2).
CREATE TABLE key_card_keys (
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    key_number INTEGER NOT NULL,
    code_hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (credential_id, key_number)
);

-- Letters to post: activation letters and key cards. The plain body is kept
-- only until the letter is marked dispatched.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    address TEXT NOT NULL,
    body TEXT,
    created_at INTEGER NOT NULL,
    dispatched_at INTEGER,
    dispatched_by TEXT
);
CREATE INDEX outbox_pending ON outbox(dispatched_at, created_at);

-- Login flows in progress, keyed by the SHA-256 of the opaque cookie value.
CREATE TABLE login_flows (
    id_hash TEXT PRIMARY KEY,
    csrf TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX login_flows_expiry ON login_flows(expires_at);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    csrf TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    loa TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_identity ON sessions(identity_id);

-- Browsers that completed a login for an identity (lockout design, docs/security.md).
CREATE TABLE trusted_devices (
    device_hash TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (device_hash, identity_id)
);

-- Holders' reports that the register's name or address is wrong (R-SELF-1).
CREATE TABLE register_reports (
    id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    note TEXT NOT NULL,
    status TEXT NOT NULL,
    reported_at INTEGER NOT NULL
);

-- Pending approvals on the code app: logins, CIBA, payments, signing (R-CRED-3, R-AUTH-3, R-PAY, R-SIGN).
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    client_id TEXT,
    payload TEXT NOT NULL,
    payload_hash BLOB NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    credential_id TEXT REFERENCES credentials(id),
    signature BLOB
);
CREATE INDEX approvals_identity ON approvals(identity_id, status);

-- Personal certificates (R-SIGN-1, R-CPR-3, R-SIGN-3).
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities(id),
    serial TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    der BLOB NOT NULL,
    key_encrypted BLOB,
    renew_by INTEGER,
    revoked_at INTEGER,
    revocation_reason TEXT
);
CREATE INDEX certificates_identity ON certificates(identity_id, status);

-- The hash-chained audit log (R-OPS-4) and its head.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject, seq);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');
