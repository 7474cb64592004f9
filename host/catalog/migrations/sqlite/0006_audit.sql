-- The audit trail (SQLite; the PostgreSQL migration is the same table): every node's audit records, one JSON
-- object per row as in the audit file, in the order each node wrote them. Never a secret value.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    node        TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    line        TEXT    NOT NULL
);
CREATE INDEX audit_recorded_at ON audit (recorded_at);
