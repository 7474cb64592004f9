-- Leases (PostgreSQL; the SQLite migration is the same table): work one node of a fleet does for all of them,
-- such as the scheduler (renewals, copies, approvals, compliance). A node holds a lease until `expires_at`
-- and renews it well before; when it dies, the lease lapses and another node takes it.
CREATE TABLE leases (
    name        TEXT    NOT NULL PRIMARY KEY,
    holder      TEXT    NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
