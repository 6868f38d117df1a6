-- 续授信: what the end-of-day batch decided for each active revolving line
-- the day after its expiry, with the product's live renewal rule set
-- (stage 'renewal'): renewed (with its new limit and expiry), referred to
-- an officer or declined (the line then expires as before). One decision
-- per line and business date, so a rerun of the date decides nothing twice.
-- The rule set's stage check gains 'renewal' in `Db::migrate` (SQLite
-- cannot change a CHECK constraint in place, and the table is referenced).
CREATE TABLE line_renewals (
    id                TEXT PRIMARY KEY,
    line_id           TEXT NOT NULL REFERENCES credit_lines(id),
    bank_id           TEXT NOT NULL REFERENCES organisations(id),
    business_date     TEXT NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('renewed', 'referred', 'declined')),
    limit_before_fen  BIGINT NOT NULL,
    limit_after_fen   BIGINT,
    expires_before    TEXT NOT NULL,
    expires_after     TEXT,
    rule_set_id       TEXT,
    rule_set_version  INTEGER,
    score             BIGINT,
    grade             TEXT,
    reason_codes      TEXT NOT NULL,
    features          TEXT NOT NULL,
    fired             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (line_id, business_date)
);
CREATE INDEX line_renewals_line ON line_renewals(line_id, created_at);
