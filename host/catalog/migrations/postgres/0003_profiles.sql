-- Secret profiles (PostgreSQL; the other migration is the same tables): explicit bindings and changed sources,
-- the state of every synchronised copy, and approval requests with their votes.

-- Secrets bound to a profile by `keyway bind`, or whose source was changed from the profile's: the secret
-- `name` in every manager of the profile, and the manager that is its source.
CREATE TABLE bindings (
    profile   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    bound_by  TEXT,
    bound_at  BIGINT NOT NULL,
    PRIMARY KEY (profile, name)
);
CREATE INDEX bindings_by_name ON bindings (name);

-- Each synchronised copy of a bound secret: where it stands, the fingerprints of the copy and of the source
-- it should equal, and when a failed copy is tried again.
CREATE TABLE sync_targets (
    profile            TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    target             TEXT    NOT NULL,
    source             TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    fingerprint        TEXT,
    source_fingerprint TEXT,
    attempts           BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT,
    next_attempt_at    BIGINT,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (profile, name, target)
);
CREATE INDEX sync_targets_by_copy ON sync_targets (target, name);
CREATE INDEX sync_targets_by_source ON sync_targets (source, name);

-- Changes waiting for approval. The proposed value is sealed under the catalog key and wiped (NULL) when the
-- request is applied, rejected or lapses.
CREATE TABLE approvals (
    id           TEXT    PRIMARY KEY,
    profile      TEXT    NOT NULL,
    manager      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    operation    TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    requester    TEXT    NOT NULL,
    change_json  TEXT    NOT NULL,
    sealed_value TEXT,
    fingerprint  TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    decided_at   BIGINT,
    claimed_at   BIGINT,
    note         TEXT
);
CREATE INDEX approvals_by_secret ON approvals (manager, name, created_at);
CREATE INDEX approvals_by_state ON approvals (state, expires_at);

-- One vote per approver and request.
CREATE TABLE approval_votes (
    request   TEXT    NOT NULL,
    approver  TEXT    NOT NULL,
    decision  TEXT    NOT NULL,
    comment   TEXT,
    at        BIGINT NOT NULL,
    PRIMARY KEY (request, approver)
);
