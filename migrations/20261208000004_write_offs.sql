-- Write-off (核销, issue 16 item 7): a bad loan (classified doubtful or
-- loss) is proposed for write-off by one person, with the reason and the
-- evidence (a court's final ruling, a death certificate…), and approved or
-- refused by another (maker-checker). Approval posts the write-off in the
-- same transaction (`posting_key`): the loan is then closed as written off
-- and the amounts written off are kept here. One open proposal per loan.
CREATE TABLE write_offs (
    id              TEXT PRIMARY KEY,
    loan_id         TEXT NOT NULL REFERENCES loans(id),
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    status          TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'refused')),
    reason          TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    proposed_by     TEXT NOT NULL REFERENCES staff_users(id),
    proposed_at     BIGINT NOT NULL,
    decided_by      TEXT REFERENCES staff_users(id),
    decided_at      BIGINT,
    comment         TEXT,
    principal_fen   BIGINT,
    interest_fen    BIGINT,
    penalty_fen     BIGINT,
    business_date   TEXT,
    posting_key     TEXT UNIQUE
);
CREATE INDEX write_offs_loan ON write_offs(loan_id, proposed_at);
CREATE UNIQUE INDEX write_offs_open ON write_offs(loan_id) WHERE status = 'proposed';
