-- keyway's catalog, version 1 (SQLite). The PostgreSQL schema in ../postgres is the same, table for table.

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
    expires_at     INTEGER,
    not_before     INTEGER,
    latest_version INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (manager, name)
);

-- Every version keyway wrote or first observed, numbered per secret.
CREATE TABLE versions (
    manager         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    number          INTEGER NOT NULL,
    backend_version TEXT,
    fingerprint     TEXT    NOT NULL,
    secret_type     TEXT,
    origin          TEXT    NOT NULL,
    actor           TEXT,
    recorded_at     INTEGER NOT NULL,
    PRIMARY KEY (manager, name, number)
);
CREATE UNIQUE INDEX versions_by_backend_version ON versions (manager, name, backend_version);
CREATE INDEX versions_by_fingerprint ON versions (fingerprint);

-- What went wrong with a secret: failed reads, backend errors, renewals, synchronisation, compliance.
CREATE TABLE errors (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    manager     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    operation   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    actor       TEXT
);
CREATE INDEX errors_by_secret ON errors (manager, name, at);
CREATE INDEX errors_by_time ON errors (at);
