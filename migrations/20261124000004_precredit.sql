-- Batch decisions: whole-village pre-credit (整村授信预授信) and whitelist
-- imports as persisted background jobs, one result row per household (or
-- whitelisted person), and the credit offers officers make from them.
-- Portable: TEXT ids, BIGINT fen and epoch ms, SMALLINT flags, TEXT JSON.

-- 预授信任务. `cursor` is the last subject (household id, or customer id for
-- a whitelist) whose result is committed: chunks are transactions that move
-- it forward together with the counters, so a resumed job continues after
-- it and decides nobody twice. `runner` and `heartbeat_at` are the lease of
-- the process running it; a lease gone stale (a killed process) may be taken
-- over. `requested` is what a user asked the runner to do at the next chunk
-- boundary: 'pause' or 'cancel'.
CREATE TABLE precredit_jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('village', 'organisation', 'whitelist')),
    bank_id          TEXT REFERENCES organisations(id),
    scope_org_id     TEXT NOT NULL REFERENCES organisations(id),
    village_id       TEXT REFERENCES villages(id),
    scope_path       TEXT NOT NULL,
    scope_name       TEXT NOT NULL,
    product_code     TEXT NOT NULL,
    use_bureau       SMALLINT NOT NULL CHECK (use_bureau IN (0, 1)),
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
    requested        TEXT CHECK (requested IN ('pause', 'cancel')),
    total            BIGINT NOT NULL DEFAULT 0,
    done             BIGINT NOT NULL DEFAULT 0,
    approved         BIGINT NOT NULL DEFAULT 0,
    referred         BIGINT NOT NULL DEFAULT 0,
    rejected         BIGINT NOT NULL DEFAULT 0,
    skipped          BIGINT NOT NULL DEFAULT 0,
    cursor           TEXT NOT NULL DEFAULT '',
    runner           TEXT,
    heartbeat_at     BIGINT,
    error            TEXT,
    source_file      TEXT,
    created_by       TEXT NOT NULL REFERENCES staff_users(id),
    created_by_name  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX precredit_jobs_scope ON precredit_jobs(scope_path, created_at);
CREATE INDEX precredit_jobs_status ON precredit_jobs(status);

-- 预授信结果: one row per subject of a job. `outcome` 'skipped' means the
-- subject could not be decided (no head of household on file, the product
-- not offered by the customer's bank); `reason_codes` then says why.
-- `fired` lists the rule ids that fired (JSON), for hit statistics; the
-- full trace is not stored for a million households (see docs).
CREATE TABLE precredit_results (
    job_id               TEXT NOT NULL REFERENCES precredit_jobs(id),
    subject_key          TEXT NOT NULL,
    household_id         TEXT,
    customer_id          TEXT REFERENCES customers(id),
    branch_id            TEXT,
    village_id           TEXT,
    product_id           TEXT,
    rule_set_id          TEXT,
    rule_set_version     INTEGER,
    outcome              TEXT NOT NULL CHECK (outcome IN ('approve', 'refer', 'reject', 'skipped')),
    limit_fen            BIGINT,
    rate_bp              BIGINT,
    score                BIGINT,
    grade                TEXT,
    reason_codes         TEXT NOT NULL,
    fired                TEXT NOT NULL,
    bureau               TEXT NOT NULL CHECK (bureau IN ('pulled', 'cached', 'failed', 'timeout', 'not_asked')),
    bureau_report_id     TEXT,
    suggested_limit_fen  BIGINT,
    decided_at           BIGINT NOT NULL,
    PRIMARY KEY (job_id, subject_key)
);

-- The bulk credit-bureau pulls of a job: one per chunk, who asked, through
-- which provider ("DEV" is synthetic), how many answered.
CREATE TABLE precredit_bureau_pulls (
    id             TEXT PRIMARY KEY,
    job_id         TEXT NOT NULL REFERENCES precredit_jobs(id),
    provider       TEXT NOT NULL,
    requested_by   TEXT NOT NULL REFERENCES staff_users(id),
    subjects       BIGINT NOT NULL,
    ok             BIGINT NOT NULL,
    failed         BIGINT NOT NULL,
    timed_out      BIGINT NOT NULL,
    cached         BIGINT NOT NULL,
    elapsed_ms     BIGINT NOT NULL,
    requested_at   BIGINT NOT NULL
);
CREATE INDEX precredit_bureau_pulls_job ON precredit_bureau_pulls(job_id, requested_at);

-- 白名单: the good rows of an imported whitelist, the subjects of its job.
CREATE TABLE precredit_whitelist_rows (
    job_id               TEXT NOT NULL REFERENCES precredit_jobs(id),
    customer_id          TEXT NOT NULL REFERENCES customers(id),
    row_no               INTEGER NOT NULL,
    village_id           TEXT NOT NULL REFERENCES villages(id),
    suggested_limit_fen  BIGINT NOT NULL CHECK (suggested_limit_fen > 0),
    new_customer         SMALLINT NOT NULL CHECK (new_customer IN (0, 1)),
    PRIMARY KEY (job_id, customer_id)
);

-- The bad rows of an imported whitelist, each problem with its row number
-- (as the spreadsheet shows it), column and the value found.
CREATE TABLE precredit_import_errors (
    job_id       TEXT NOT NULL REFERENCES precredit_jobs(id),
    row_no       INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    code         TEXT NOT NULL,
    column_name  TEXT,
    value        TEXT NOT NULL,
    PRIMARY KEY (job_id, row_no, seq)
);

-- 预授信额度邀约: a pre-approved limit offered to the customer, who sees it on
-- the phone and accepts it (an active credit line is granted in the same
-- transaction) or declines it. At most one open offer per customer and product.
CREATE TABLE credit_offers (
    id                TEXT PRIMARY KEY,
    job_id            TEXT NOT NULL,
    subject_key       TEXT NOT NULL,
    bank_id           TEXT NOT NULL REFERENCES organisations(id),
    branch_id         TEXT NOT NULL REFERENCES organisations(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    product_id        TEXT NOT NULL REFERENCES products(id),
    kind              TEXT NOT NULL CHECK (kind IN ('revolving', 'one_off')),
    limit_fen         BIGINT NOT NULL CHECK (limit_fen > 0),
    engine_rate_bp    BIGINT,
    line_months       INTEGER NOT NULL CHECK (line_months > 0),
    status            TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'declined', 'withdrawn')),
    offer_expires_on  TEXT NOT NULL,
    officer_id        TEXT NOT NULL REFERENCES staff_users(id),
    offered_by        TEXT NOT NULL REFERENCES staff_users(id),
    credit_line_id    TEXT REFERENCES credit_lines(id),
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    responded_at      BIGINT,
    UNIQUE (job_id, subject_key),
    FOREIGN KEY (job_id, subject_key) REFERENCES precredit_results(job_id, subject_key)
);
CREATE UNIQUE INDEX credit_offers_one_open ON credit_offers(customer_id, product_id) WHERE status = 'offered';
CREATE INDEX credit_offers_customer ON credit_offers(customer_id, status);
