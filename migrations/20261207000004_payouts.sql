-- Disbursement that moves money (放款, issue 16 item 3).
--
-- The customer's bound bank account (绑定银行卡): where a loan is paid out
-- and repayments are collected from. The account number is personal
-- financial information: sealed (`pfi1.…`), found by its blind index, shown
-- masked. An account is `verified` once the payout provider matched it
-- with the holder's name, ID number and phone (四要素鉴权); a `failed` one
-- is kept so the officer sees why, and never paid to. One row per customer
-- and account; the newest verified one is the account in use.
CREATE TABLE bank_accounts (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    account_sealed    TEXT NOT NULL,
    account_idx       TEXT NOT NULL,
    account_masked    TEXT NOT NULL,
    bank_name         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('verified', 'failed')),
    failure           TEXT,
    bound_by          TEXT NOT NULL,
    verified_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX bank_accounts_customer_account ON bank_accounts(customer_id, account_idx);

-- The terms an approval granted, which the contract states and the payout
-- books: the engine's rate (else the product's) and the repayment method.
-- NULL for approvals from before payouts (their loans were booked at once).
ALTER TABLE approvals ADD COLUMN annual_rate_bp BIGINT;
ALTER TABLE approvals ADD COLUMN repayment_method TEXT;

-- Payout orders (放款指令). A payout is an order first (`pending`,
-- committed before the provider is called), then the provider's answer:
-- `succeeded` (the loan is booked and posted in the same transaction, so
-- the loan exists exactly when the money went out) or `failed` (nothing
-- booked; a new order may be made). At most one live (not failed) order per
-- application: two concurrent requests pay once.
CREATE TABLE payouts (
    id                TEXT PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    application_id    TEXT NOT NULL REFERENCES applications(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    bank_account_id   TEXT NOT NULL REFERENCES bank_accounts(id),
    amount_fen        BIGINT NOT NULL CHECK (amount_fen > 0),
    provider          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    failure           TEXT,
    loan_id           TEXT REFERENCES loans(id),
    idempotency_key   TEXT NOT NULL UNIQUE,
    requested_by      TEXT NOT NULL REFERENCES staff_users(id),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX payouts_live ON payouts(application_id) WHERE status <> 'failed';
CREATE INDEX payouts_pending ON payouts(status, created_at);

-- Notices a provider sent to the signed notice route, once each: a repeated
-- notice (the provider retries until it hears 200) finds its row and is
-- answered without acting again.
CREATE TABLE provider_notices (
    provider          TEXT NOT NULL,
    notice_id         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    reference         TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    received_at       BIGINT NOT NULL,
    PRIMARY KEY (provider, notice_id)
);
