-- Foundation schema. Portable between SQLite and PostgreSQL through sqlx Any:
-- TEXT ids (UUIDv7 made in Rust), BIGINT fen, BIGINT epoch milliseconds for
-- instants, TEXT 'YYYY-MM-DD' for business dates, SMALLINT 0/1 for flags,
-- TEXT for JSON. Rates are BIGINT basis points (490 = 4.90% a year).

-- Organisation tree: union > bank > branch > grid. `path` is the
-- materialised path of ids ('/u/b/br/g/'), so scope checks are a prefix test.
CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES organisations(id),
    kind        TEXT NOT NULL CHECK (kind IN ('union', 'bank', 'branch', 'grid')),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX organisations_parent ON organisations(parent_id);

CREATE TABLE staff_users (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id),
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     BIGINT,
    active           SMALLINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at       BIGINT NOT NULL,
    last_login_at    BIGINT
);
CREATE INDEX staff_users_org ON staff_users(org_id);

CREATE TABLE staff_roles (
    user_id  TEXT NOT NULL REFERENCES staff_users(id),
    role     TEXT NOT NULL CHECK (role IN ('officer', 'investigator', 'reviewer', 'approver',
                 'disburser', 'post_loan', 'risk_manager', 'product_manager',
                 'marketing_manager', 'branch_head', 'admin')),
    PRIMARY KEY (user_id, role)
);

-- tower-sessions records, stored by our own store over the AnyPool.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Whole-village structure: a village belongs to a grid; households live in villages.
CREATE TABLE villages (
    id        TEXT PRIMARY KEY,
    grid_id   TEXT NOT NULL REFERENCES organisations(id),
    township  TEXT NOT NULL,
    name      TEXT NOT NULL
);
CREATE INDEX villages_grid ON villages(grid_id);

CREATE TABLE households (
    id                  TEXT PRIMARY KEY,
    village_id          TEXT NOT NULL REFERENCES villages(id),
    head_name           TEXT NOT NULL,
    address             TEXT NOT NULL,
    members             INTEGER NOT NULL CHECK (members > 0),
    annual_income_fen   BIGINT NOT NULL CHECK (annual_income_fen >= 0),
    land_area_mu_x10    INTEGER NOT NULL DEFAULT 0 CHECK (land_area_mu_x10 >= 0),
    main_business       TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL
);
CREATE INDEX households_village ON households(village_id);

-- A customer belongs to one bank (tenant) and is served by a branch; the
-- officer in `officer_id` owns the relationship (管户).
CREATE TABLE customers (
    id                TEXT PRIMARY KEY,
    bank_id           TEXT NOT NULL REFERENCES organisations(id),
    branch_id         TEXT NOT NULL REFERENCES organisations(id),
    household_id      TEXT REFERENCES households(id),
    relation_to_head  TEXT NOT NULL DEFAULT 'head',
    name              TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    phone             TEXT NOT NULL UNIQUE,
    gender            TEXT NOT NULL CHECK (gender IN ('male', 'female')),
    birth_date        TEXT NOT NULL,
    occupation        TEXT NOT NULL DEFAULT '',
    officer_id        TEXT REFERENCES staff_users(id),
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_bank_id_number ON customers(bank_id, id_number);
CREATE INDEX customers_branch ON customers(branch_id);
CREATE INDEX customers_household ON customers(household_id);

-- One-time SMS codes: only a hash is stored.
CREATE TABLE sms_codes (
    id          TEXT PRIMARY KEY,
    phone       TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    consumed    SMALLINT NOT NULL DEFAULT 0 CHECK (consumed IN (0, 1))
);
CREATE INDEX sms_codes_phone ON sms_codes(phone, created_at);

-- Every message handed to the SMS provider (the development provider's outbox).
CREATE TABLE sms_outbox (
    id          TEXT PRIMARY KEY,
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    provider    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    error       TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sms_outbox_created ON sms_outbox(created_at);

CREATE TABLE products (
    id                 TEXT PRIMARY KEY,
    bank_id            TEXT NOT NULL REFERENCES organisations(id),
    code               TEXT NOT NULL,
    name_zh            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    summary_zh         TEXT NOT NULL,
    summary_en         TEXT NOT NULL,
    min_amount_fen     BIGINT NOT NULL CHECK (min_amount_fen > 0),
    max_amount_fen     BIGINT NOT NULL,
    min_term_months    INTEGER NOT NULL CHECK (min_term_months > 0),
    max_term_months    INTEGER NOT NULL,
    annual_rate_bp     BIGINT NOT NULL CHECK (annual_rate_bp > 0 AND annual_rate_bp < 10000),
    repayment_method   TEXT NOT NULL,
    guarantee_type     TEXT NOT NULL CHECK (guarantee_type IN ('credit', 'guarantor', 'mortgage', 'pledge')),
    active             SMALLINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    sort_order         INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    CHECK (max_amount_fen >= min_amount_fen),
    CHECK (max_term_months >= min_term_months),
    UNIQUE (bank_id, code)
);

-- 进件. `version` guards every state change (conditional update).
CREATE TABLE applications (
    id               TEXT PRIMARY KEY,
    bank_id          TEXT NOT NULL REFERENCES organisations(id),
    branch_id        TEXT NOT NULL REFERENCES organisations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    product_id       TEXT NOT NULL REFERENCES products(id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    term_months      INTEGER NOT NULL CHECK (term_months > 0),
    purpose          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'investigated', 'approved', 'rejected', 'withdrawn')),
    officer_id       TEXT NOT NULL REFERENCES staff_users(id),
    idempotency_key  TEXT NOT NULL UNIQUE,
    submitted_at     BIGINT NOT NULL,
    submitted_on     TEXT NOT NULL,
    decided_at       BIGINT,
    version          INTEGER NOT NULL DEFAULT 1,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX applications_officer_status ON applications(officer_id, status);
CREATE INDEX applications_branch_status ON applications(branch_id, status);
CREATE INDEX applications_customer ON applications(customer_id);
CREATE INDEX applications_bank_day ON applications(bank_id, submitted_on);

-- 征信授权: the customer's consent to the credit-bureau inquiry.
CREATE TABLE bureau_consents (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    application_id   TEXT NOT NULL REFERENCES applications(id),
    consent_version  TEXT NOT NULL,
    granted_at       BIGINT NOT NULL
);
CREATE INDEX bureau_consents_application ON bureau_consents(application_id);

-- 下户调查
CREATE TABLE investigations (
    id                       TEXT PRIMARY KEY,
    application_id           TEXT NOT NULL UNIQUE REFERENCES applications(id),
    investigator_id          TEXT NOT NULL REFERENCES staff_users(id),
    visited_on               TEXT NOT NULL,
    household_income_fen     BIGINT NOT NULL CHECK (household_income_fen >= 0),
    household_assets_fen     BIGINT NOT NULL CHECK (household_assets_fen >= 0),
    household_debts_fen      BIGINT NOT NULL CHECK (household_debts_fen >= 0),
    findings                 TEXT NOT NULL,
    recommendation           TEXT NOT NULL CHECK (recommendation IN ('approve', 'reject')),
    recommended_amount_fen   BIGINT NOT NULL CHECK (recommended_amount_fen >= 0),
    created_at               BIGINT NOT NULL
);

CREATE TABLE approvals (
    id               TEXT PRIMARY KEY,
    application_id   TEXT NOT NULL UNIQUE REFERENCES applications(id),
    approver_id      TEXT NOT NULL REFERENCES staff_users(id),
    decision         TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment          TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE loans (
    id                        TEXT PRIMARY KEY,
    application_id            TEXT NOT NULL UNIQUE REFERENCES applications(id),
    bank_id                   TEXT NOT NULL REFERENCES organisations(id),
    branch_id                 TEXT NOT NULL REFERENCES organisations(id),
    customer_id               TEXT NOT NULL REFERENCES customers(id),
    product_id                TEXT NOT NULL REFERENCES products(id),
    principal_fen             BIGINT NOT NULL CHECK (principal_fen > 0),
    annual_rate_bp            BIGINT NOT NULL,
    term_months               INTEGER NOT NULL,
    repayment_method          TEXT NOT NULL,
    start_date                TEXT NOT NULL,
    maturity_date             TEXT NOT NULL,
    outstanding_principal_fen BIGINT NOT NULL CHECK (outstanding_principal_fen >= 0),
    status                    TEXT NOT NULL CHECK (status IN ('active', 'settled')),
    created_at                BIGINT NOT NULL
);
CREATE INDEX loans_customer ON loans(customer_id);
CREATE INDEX loans_branch ON loans(branch_id);

CREATE TABLE loan_schedule (
    loan_id        TEXT NOT NULL REFERENCES loans(id),
    n              INTEGER NOT NULL,
    due_date       TEXT NOT NULL,
    principal_fen  BIGINT NOT NULL,
    interest_fen   BIGINT NOT NULL,
    payment_fen    BIGINT NOT NULL,
    balance_fen    BIGINT NOT NULL,
    PRIMARY KEY (loan_id, n)
);

-- Append-only, hash-chained audit log. `audit_head` holds the last sequence
-- number and hash; updating it serialises appenders on both databases.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('staff', 'customer', 'system')),
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    org_id       TEXT,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
