-- A payment collected but not postable (the loan was paid off or closed in
-- the meantime) is refunded through the provider: status 'refunded', with
-- the reason in `failure`. SQLite cannot change a CHECK constraint, so the
-- table is rebuilt (nothing references it). Pending orders are found by
-- age for the job that settles them with the provider.
CREATE TABLE payments_new (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    loan_id          TEXT NOT NULL REFERENCES loans(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    provider         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    failure          TEXT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
INSERT INTO payments_new (id, reference, loan_id, customer_id, amount_fen, provider, status,
                          failure, idempotency_key, created_at, updated_at)
SELECT id, reference, loan_id, customer_id, amount_fen, provider, status, failure,
       idempotency_key, created_at, updated_at
FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_loan ON payments(loan_id, created_at);
CREATE INDEX payments_status ON payments(status, created_at);
