-- The decision engine's records: versioned rule sets with maker-checker,
-- credit-bureau inquiries, and every decision with the version it ran, its
-- inputs and its trace. Portable: TEXT ids, BIGINT fen and epoch ms, TEXT
-- JSON (parsed in Rust), SMALLINT flags.

-- 规则集: one version of a strategy (domain::rules::strategy::StrategyDef as
-- JSON) for one product and decision stage. Life cycle draft -> submitted ->
-- approved (by a second risk manager) -> live -> retired; at most one live
-- version per product and stage. `row_version` guards every change.
CREATE TABLE rule_sets (
    id              TEXT PRIMARY KEY,
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    product_id      TEXT NOT NULL REFERENCES products(id),
    stage           TEXT NOT NULL CHECK (stage IN ('pre_screen', 'full')),
    version         INTEGER NOT NULL CHECK (version > 0),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'live', 'retired')),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    definition      TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    author_id       TEXT NOT NULL REFERENCES staff_users(id),
    submitted_at    BIGINT,
    approver_id     TEXT REFERENCES staff_users(id),
    approved_at     BIGINT,
    review_comment  TEXT NOT NULL DEFAULT '',
    published_by    TEXT REFERENCES staff_users(id),
    published_at    BIGINT,
    retired_at      BIGINT,
    row_version     INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (product_id, stage, version),
    -- Maker-checker, also in the data: nobody approves their own version.
    CHECK (approver_id IS NULL OR approver_id <> author_id)
);
CREATE UNIQUE INDEX rule_sets_one_live ON rule_sets(product_id, stage) WHERE status = 'live';
CREATE INDEX rule_sets_bank ON rule_sets(bank_id, status);

-- 征信查询: every inquiry of the credit bureau, who made it, under which
-- consent, through which provider ("DEV" is synthetic data) and how it went.
CREATE TABLE bureau_inquiries (
    id                 TEXT PRIMARY KEY,
    application_id     TEXT NOT NULL REFERENCES applications(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    consent_id         TEXT NOT NULL REFERENCES bureau_consents(id),
    requested_by_kind  TEXT NOT NULL CHECK (requested_by_kind IN ('staff', 'customer', 'system')),
    requested_by       TEXT NOT NULL,
    requested_by_name  TEXT NOT NULL,
    provider           TEXT NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'timeout')),
    error              TEXT,
    report             TEXT,
    elapsed_ms         BIGINT NOT NULL,
    requested_at       BIGINT NOT NULL
);
CREATE INDEX bureau_inquiries_application ON bureau_inquiries(application_id, requested_at);
CREATE INDEX bureau_inquiries_customer ON bureau_inquiries(customer_id, requested_at);

-- 决策记录: what the engine decided for an application at a stage, with the
-- rule set version (NULL when none was live: the outcome is then "refer"),
-- the feature values it read (PFI masked), the trace and the adverse
-- reason codes (JSON arrays).
CREATE TABLE decisions (
    id                 TEXT PRIMARY KEY,
    application_id     TEXT NOT NULL REFERENCES applications(id),
    stage              TEXT NOT NULL CHECK (stage IN ('pre_screen', 'full')),
    rule_set_id        TEXT REFERENCES rule_sets(id),
    rule_set_version   INTEGER,
    outcome            TEXT NOT NULL CHECK (outcome IN ('approve', 'refer', 'reject')),
    limit_fen          BIGINT,
    rate_bp            BIGINT,
    score              BIGINT,
    grade              TEXT,
    flags              TEXT NOT NULL,
    reason_codes       TEXT NOT NULL,
    features           TEXT NOT NULL,
    trace              TEXT NOT NULL,
    bureau_inquiry_id  TEXT REFERENCES bureau_inquiries(id),
    actor_kind         TEXT NOT NULL CHECK (actor_kind IN ('staff', 'customer', 'system')),
    actor_id           TEXT NOT NULL,
    actor_name         TEXT NOT NULL,
    elapsed_us         BIGINT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX decisions_application ON decisions(application_id, stage, created_at);
CREATE INDEX decisions_rule_set ON decisions(rule_set_id);
