-- Renewals in flight (SQLite; the PostgreSQL migration is the same table). A new value waits here, sealed
-- under the catalog key, while a rotation hook sets and tests it on the target system; it is wiped when
-- promoted or abandoned.
CREATE TABLE renewals (
    manager      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    sealed_value TEXT    NOT NULL,
    secret_type  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (manager, name)
);
