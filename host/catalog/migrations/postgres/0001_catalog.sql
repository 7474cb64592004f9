-- keyway's catalog, version 1 (PostgreSQL). The SQLite schema in ../sqlite is the same, table for table.

-- Facts about the installation: its id, and a check that the catalog key is the one it was created with.
CREATE TABLE catalog_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per secret keyway has written or seen.
CREATE TABLE secrets (
    manager        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    secret_type    TEXT,
    expires_at     BIGINT,
    not_before     BIGINT,
    latest_version BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (manager, name)
);

-- Every version keyway wrote or first observed, numbered per secret.
CREATE TABLE versions (
    manager         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    number          BIGINT  NOT NULL,
    backend_version TEXT,
    fingerprint     TEXT    NOT NULL,
    secret_type     TEXT,
    origin          TEXT    NOT NULL,
    actor           TEXT,
    recorded_at     BIGINT  NOT NULL,
    PRIMARY KEY (manager, name, number)
);
CREATE UNIQUE INDEX versions_by_backend_version ON versions (manager, name, backend_version);
CREATE INDEX versions_by_fingerprint ON versions (fingerprint);

-- What went wrong with a secret: failed reads, backend errors, renewals, synchronisation, compliance.
CREATE TABLE errors (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    operation   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    actor       TEXT
);
CREATE INDEX errors_by_secret ON errors (manager, name, at);
CREATE INDEX errors_by_time ON errors (at);
