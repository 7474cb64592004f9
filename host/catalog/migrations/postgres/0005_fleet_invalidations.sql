-- The fleet's cache invalidations (PostgreSQL only: a SQLite catalog serves one node, which has nothing to
-- tell). Every announcement of dropped cache entries advances `seq` in the transaction that sends its
-- notification; the row's lock makes the values follow commit order, so a node that compares the last value
-- it heard with this one knows whether it missed an announcement while it was not listening.
CREATE TABLE fleet_invalidations (
    id  SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
    seq BIGINT   NOT NULL
);
INSERT INTO fleet_invalidations (id, seq) VALUES (1, 0);
