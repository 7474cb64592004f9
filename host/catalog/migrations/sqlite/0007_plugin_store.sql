-- The store keyway offers plugins (keyway:store/kv@0.1.0) for managers with `storage: records` (see the
-- PostgreSQL migration of the same number): one row per key of a manager's store, compared bytewise.
CREATE TABLE plugin_store (
    manager TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    value   BLOB    NOT NULL,
    version TEXT    NOT NULL,
    size    INTEGER NOT NULL,
    PRIMARY KEY (manager, key)
);
