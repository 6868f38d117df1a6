-- How far the audit log was last found intact (one row): the audit page
-- checks from there on instead of rereading the whole chain each time.
CREATE TABLE audit_verified (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    at    BIGINT NOT NULL
);
