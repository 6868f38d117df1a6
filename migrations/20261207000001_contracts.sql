-- Electronic contracts (合同, issue 16 item 1).
--
-- Contract templates: versioned per product and kind, or bank-wide when
-- `product_id` is NULL; written by one product manager, published by
-- another (maker-checker). At most one published version per bank, product
-- (or none) and kind, which the partial unique index enforces.
CREATE TABLE contract_templates (
    id            TEXT PRIMARY KEY,
    bank_id       TEXT NOT NULL REFERENCES organisations(id),
    product_id    TEXT REFERENCES products(id),
    kind          TEXT NOT NULL CHECK (kind IN ('loan', 'guarantee', 'mortgage')),
    version       BIGINT NOT NULL CHECK (version > 0),
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'published', 'retired')),
    author_id     TEXT NOT NULL REFERENCES staff_users(id),
    approver_id   TEXT REFERENCES staff_users(id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    submitted_at  BIGINT,
    published_at  BIGINT,
    retired_at    BIGINT,
    row_version   BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX contract_templates_version
    ON contract_templates(bank_id, COALESCE(product_id, ''), kind, version);
CREATE UNIQUE INDEX contract_templates_published
    ON contract_templates(bank_id, COALESCE(product_id, ''), kind) WHERE status = 'published';

-- Contracts drawn up for an approved application. The text holds the
-- borrower's full name and ID number, so it is sealed like personal
-- information (`text_sealed`, `pfi1.…`). Once signed, `canonical_sha256` is
-- the SHA-256 of the canonical bytes (`domain::contract::canonical_bytes`)
-- and `seal` the bank's ed25519 signature over it, under `public_key`.
-- One live (not voided) contract of each kind per application.
CREATE TABLE contracts (
    id                TEXT PRIMARY KEY,
    contract_no       TEXT NOT NULL UNIQUE,
    bank_id           TEXT NOT NULL REFERENCES organisations(id),
    branch_id         TEXT NOT NULL REFERENCES organisations(id),
    application_id    TEXT NOT NULL REFERENCES applications(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    kind              TEXT NOT NULL CHECK (kind IN ('loan', 'guarantee', 'mortgage')),
    template_id       TEXT REFERENCES contract_templates(id),
    template_version  BIGINT NOT NULL,
    text_sealed       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('generated', 'signed', 'voided')),
    canonical_sha256  TEXT,
    seal              TEXT,
    public_key        TEXT,
    signed_at         BIGINT,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    row_version       BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX contracts_live_kind ON contracts(application_id, kind) WHERE status <> 'voided';
CREATE INDEX contracts_customer ON contracts(customer_id, created_at);

-- Who signed, in order, the bank's seal last (role 'bank': no customer, no
-- code, no drawn signature). The name is sealed; the ID number is kept
-- masked, as it is signed; the drawn signature is kept as the SHA-256 of
-- its image. The rows are what an export rebuilds the signed bytes from.
CREATE TABLE contract_signers (
    id                 TEXT PRIMARY KEY,
    contract_id        TEXT NOT NULL REFERENCES contracts(id),
    seq                INTEGER NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('borrower', 'guarantor', 'bank')),
    customer_id        TEXT REFERENCES customers(id),
    name_sealed        TEXT NOT NULL,
    id_number_masked   TEXT NOT NULL,
    signature_sha256   TEXT,
    sms_code_id        TEXT,
    signed_at          BIGINT NOT NULL,
    UNIQUE (contract_id, seq)
);
