-- The store keyway offers plugins (keyway:store/kv@0.1.0) for managers with `storage: records`: one row per
-- key of a manager's store. The bytes are the plugin's own (its ciphertext); `version` is the token of the
-- write that put them there, checked by compare-and-swap; `size` is the value's length, for the store's cap.
-- Keys are ASCII and compared bytewise (COLLATE "C"), so listing pages in byte order.
CREATE TABLE plugin_store (
    manager TEXT   NOT NULL,
    key     TEXT   COLLATE "C" NOT NULL,
    value   BYTEA  NOT NULL,
    version TEXT   NOT NULL,
    size    BIGINT NOT NULL,
    PRIMARY KEY (manager, key)
);
