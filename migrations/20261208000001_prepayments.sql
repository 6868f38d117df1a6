-- 提前还款 and 结清证明 (issue 16 item 4).
--
-- A prepayment on the phone is a payment order like a repayment (`payments`,
-- collected through the payment provider, posted once by a guarded update)
-- whose purpose is `prepayment`: what was asked (`prepay_mode`: shorten the
-- term, lower the instalment, or pay off; `prepay_principal_fen`) is kept on
-- the order, and the amount collected is the quote of that day. When the
-- order is posted the quote is worked out again: a different sum (the day
-- turned, or the batch ran) is refunded, never posted differently.
ALTER TABLE payments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'repayment';
ALTER TABLE payments ADD COLUMN prepay_mode TEXT;
ALTER TABLE payments ADD COLUMN prepay_principal_fen BIGINT;

-- Every prepayment made, on the phone (`online`, its payment order's
-- reference) or at the counter (`counter`, the member of staff who took
-- it), with what it changed: the instalments left and their payment before
-- and after, and the scheduled interest the borrower no longer owes.
CREATE TABLE prepayments (
    id                  TEXT PRIMARY KEY,
    loan_id             TEXT NOT NULL REFERENCES loans(id),
    bank_id             TEXT NOT NULL REFERENCES organisations(id),
    channel             TEXT NOT NULL CHECK (channel IN ('online', 'counter')),
    payment_reference   TEXT UNIQUE,
    idempotency_key     TEXT NOT NULL UNIQUE,
    mode                TEXT NOT NULL CHECK (mode IN ('shorten_term', 'lower_instalment', 'payoff')),
    business_date       TEXT NOT NULL,
    principal_fen       BIGINT NOT NULL CHECK (principal_fen > 0),
    interest_fen        BIGINT NOT NULL CHECK (interest_fen >= 0),
    total_fen           BIGINT NOT NULL CHECK (total_fen > 0),
    periods_before      INTEGER NOT NULL,
    periods_after       INTEGER NOT NULL,
    payment_before_fen  BIGINT NOT NULL,
    payment_after_fen   BIGINT,
    interest_saved_fen  BIGINT NOT NULL,
    received_by         TEXT REFERENCES staff_users(id),
    created_at          BIGINT NOT NULL
);
CREATE INDEX prepayments_loan ON prepayments(loan_id, created_at);

-- 结清证明: issued once per settled loan, on first request. The wording
-- names the borrower, so it is sealed like personal information
-- (`text_sealed`); `sha256` is over `PUHUI-SETTLEMENT-1\n<no>\n<text>` and
-- `seal` the bank's ed25519 signature over it (the contract-sealing key,
-- `public_key`).
CREATE TABLE settlement_certificates (
    id                  TEXT PRIMARY KEY,
    loan_id             TEXT NOT NULL UNIQUE REFERENCES loans(id),
    certificate_no      TEXT NOT NULL UNIQUE,
    bank_id             TEXT NOT NULL REFERENCES organisations(id),
    settled_on          TEXT NOT NULL,
    text_sealed         TEXT NOT NULL,
    sha256              TEXT NOT NULL,
    seal                TEXT NOT NULL,
    public_key          TEXT NOT NULL,
    issued_at           BIGINT NOT NULL
);
