-- Loan servicing: credit lines, the loan accounts the end-of-day batch keeps,
-- and the double-entry ledger. Money in fen (BIGINT), dates as 'YYYY-MM-DD'.

-- 授信额度. `version` guards every change (conditional update), so two
-- drawdowns at once can never take the available amount below zero.
CREATE TABLE credit_lines (
    id               TEXT PRIMARY KEY,
    bank_id          TEXT NOT NULL REFERENCES organisations(id),
    branch_id        TEXT NOT NULL REFERENCES organisations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    product_id       TEXT NOT NULL REFERENCES products(id),
    kind             TEXT NOT NULL CHECK (kind IN ('revolving', 'one_off')),
    limit_fen        BIGINT NOT NULL CHECK (limit_fen > 0),
    used_fen         BIGINT NOT NULL CHECK (used_fen >= 0),
    outstanding_fen  BIGINT NOT NULL CHECK (outstanding_fen >= 0),
    status           TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'cancelled', 'expired')),
    officer_id       TEXT NOT NULL REFERENCES staff_users(id),
    granted_on       TEXT NOT NULL,
    expires_on       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (used_fen <= limit_fen),
    CHECK (outstanding_fen <= used_fen)
);
CREATE INDEX credit_lines_customer ON credit_lines(customer_id);
CREATE INDEX credit_lines_branch ON credit_lines(branch_id, status);

-- A loan drawn on a line (用信) names it; NULL for a loan booked on approval.
ALTER TABLE loans ADD COLUMN credit_line_id TEXT REFERENCES credit_lines(id);

-- What has been paid of each instalment.
ALTER TABLE loan_schedule ADD COLUMN paid_principal_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE loan_schedule ADD COLUMN paid_interest_fen BIGINT NOT NULL DEFAULT 0;

-- 贷款分户账: the servicing state of a loan (domain::servicing::eod::LoanState
-- without its schedule). `loans` keeps the contract; this row changes every
-- business day. `next_due_date` and `oldest_unpaid_due` let the batch read
-- the schedule only of loans with something due.
CREATE TABLE loan_accounts (
    loan_id                    TEXT PRIMARY KEY REFERENCES loans(id),
    bank_id                    TEXT NOT NULL REFERENCES organisations(id),
    status                     TEXT NOT NULL CHECK (status IN ('normal', 'overdue', 'settled', 'written_off')),
    principal_outstanding_fen  BIGINT NOT NULL CHECK (principal_outstanding_fen >= 0),
    interest_receivable_fen    BIGINT NOT NULL,
    penalty_receivable_fen     BIGINT NOT NULL CHECK (penalty_receivable_fen >= 0),
    period_accrued_fen         BIGINT NOT NULL,
    interest_carry             BIGINT NOT NULL CHECK (interest_carry >= 0),
    penalty_carry              BIGINT NOT NULL CHECK (penalty_carry >= 0),
    last_processed             TEXT NOT NULL,
    next_due_date              TEXT,
    oldest_unpaid_due          TEXT,
    dpd                        INTEGER NOT NULL CHECK (dpd >= 0),
    classification             TEXT NOT NULL CHECK (classification IN ('pass', 'special_mention', 'substandard', 'doubtful', 'loss')),
    min_classification         TEXT NOT NULL CHECK (min_classification IN ('pass', 'special_mention', 'substandard', 'doubtful', 'loss')),
    revolving_maturity         TEXT,
    allocation_order           TEXT NOT NULL,
    version                    BIGINT NOT NULL DEFAULT 1,
    updated_at                 BIGINT NOT NULL
);

-- 会计分录: balanced double-entry postings. The idempotency key is unique per
-- loan (a batch key is derived from loan, date and kind; a payment's is the
-- payment reference), so a retried write or a duplicate payment notification
-- is stored once.
CREATE TABLE postings (
    loan_id          TEXT NOT NULL REFERENCES loans(id),
    idempotency_key  TEXT NOT NULL,
    bank_id          TEXT NOT NULL REFERENCES organisations(id),
    business_date    TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('disbursement', 'repayment', 'interest_accrual', 'interest_adjustment', 'penalty_accrual', 'write_off', 'opening_balance')),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (loan_id, idempotency_key)
);
CREATE INDEX postings_bank_day ON postings(bank_id, business_date);

CREATE TABLE posting_lines (
    loan_id          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    line_no          INTEGER NOT NULL,
    account          TEXT NOT NULL CHECK (account IN ('loan_principal', 'interest_receivable', 'penalty_receivable', 'interest_income', 'penalty_income', 'settlement', 'loss_allowance')),
    debit_fen        BIGINT NOT NULL CHECK (debit_fen >= 0),
    credit_fen       BIGINT NOT NULL CHECK (credit_fen >= 0),
    PRIMARY KEY (loan_id, idempotency_key, line_no),
    FOREIGN KEY (loan_id, idempotency_key) REFERENCES postings(loan_id, idempotency_key),
    CHECK ((debit_fen = 0) <> (credit_fen = 0))
);

-- 支付: payment orders through the payment provider. The provider's
-- notification is matched on `reference`; a second notification of the same
-- payment finds it already posted.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    loan_id          TEXT NOT NULL REFERENCES loans(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    provider         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure          TEXT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX payments_loan ON payments(loan_id, created_at);

-- 日终跑批: one row per business date. A run that was killed stays
-- 'running' until the next run of that date completes it.
CREATE TABLE eod_runs (
    business_date    TEXT PRIMARY KEY,
    status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 1,
    loans            BIGINT NOT NULL DEFAULT 0,
    postings         BIGINT NOT NULL DEFAULT 0,
    summary_json     TEXT,
    started_at       BIGINT NOT NULL,
    finished_at      BIGINT
);

-- The order a repayment pays penalty, interest and principal in (per product).
ALTER TABLE products ADD COLUMN allocation_order TEXT NOT NULL DEFAULT 'penalty,interest,principal';
