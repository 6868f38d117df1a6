-- Credit lines for staff (issue 16 item 6): raising a line's limit is
-- proposed by one person with its reason and approved or refused by another
-- (maker-checker); lowering it, freezing, unfreezing, transferring and
-- cancelling take effect at once. One open proposal per line. Approval
-- applies the new limit guarded by the line's version, in the same
-- transaction.
CREATE TABLE credit_line_increases (
    id           TEXT PRIMARY KEY,
    line_id      TEXT NOT NULL REFERENCES credit_lines(id),
    bank_id      TEXT NOT NULL REFERENCES organisations(id),
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'refused')),
    from_fen     BIGINT NOT NULL CHECK (from_fen > 0),
    to_fen       BIGINT NOT NULL CHECK (to_fen > from_fen),
    reason       TEXT NOT NULL,
    proposed_by  TEXT NOT NULL REFERENCES staff_users(id),
    proposed_at  BIGINT NOT NULL,
    decided_by   TEXT REFERENCES staff_users(id),
    decided_at   BIGINT,
    comment      TEXT
);
CREATE INDEX credit_line_increases_line ON credit_line_increases(line_id);
CREATE UNIQUE INDEX credit_line_increases_one_open ON credit_line_increases(line_id) WHERE status = 'proposed';
