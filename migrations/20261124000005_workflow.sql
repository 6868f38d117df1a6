-- Product factory (产品工厂) and the approval-flow engine with its work queue
-- (待办). Portable: TEXT ids, BIGINT epoch ms, TEXT JSON, SMALLINT flags.

-- The bank's library of approval flow templates (审批流程模板). `body` is the
-- domain `FlowTemplate` as JSON, validated before it is stored; a version is
-- never changed once written (a product version keeps its own copy anyway).
CREATE TABLE flow_templates (
    id          TEXT PRIMARY KEY,
    bank_id     TEXT NOT NULL REFERENCES organisations(id),
    code        TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  TEXT REFERENCES staff_users(id),
    created_at  BIGINT NOT NULL,
    UNIQUE (bank_id, code, version)
);

-- A sub-product (子产品) names its parent; `live_version` is the published
-- version new applications are made under (NULL: none yet).
ALTER TABLE products ADD COLUMN parent_id TEXT REFERENCES products(id);
ALTER TABLE products ADD COLUMN live_version INTEGER;

-- 产品版本: every parameter of one version of a product. `overrides` is what
-- a sub-product changes (domain `ProductOverride`, NULL for a top-level
-- product); `params` the resolved parameters applications use; `flow` the
-- copy of the flow template it runs. Draft → published (by someone other
-- than the author) → retired; a published version is never edited, and an
-- application keeps the version it was made under.
CREATE TABLE product_versions (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES products(id),
    version       INTEGER NOT NULL CHECK (version > 0),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    overrides     TEXT,
    params        TEXT NOT NULL,
    flow          TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    author_id     TEXT REFERENCES staff_users(id),
    publisher_id  TEXT REFERENCES staff_users(id),
    created_at    BIGINT NOT NULL,
    published_at  BIGINT,
    retired_at    BIGINT,
    updated_at    BIGINT NOT NULL,
    row_version   INTEGER NOT NULL DEFAULT 1,
    UNIQUE (product_id, version)
);

-- Where each application is in its flow. NULL `flow_node`: an application
-- made before flows (the fixed thin-loan path still serves it).
ALTER TABLE applications ADD COLUMN product_version_id TEXT REFERENCES product_versions(id);
ALTER TABLE applications ADD COLUMN flow_node TEXT;

-- How many open tasks a person may hold before random assignment passes
-- them over.
ALTER TABLE staff_users ADD COLUMN workload_cap INTEGER NOT NULL DEFAULT 60;

-- Declared relations between staff and customers (family, business partner,
-- guarantor): such staff are never assigned to the customer's application.
CREATE TABLE staff_relations (
    staff_id     TEXT NOT NULL REFERENCES staff_users(id),
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    relation     TEXT NOT NULL,
    declared_at  BIGINT NOT NULL,
    PRIMARY KEY (staff_id, customer_id)
);

-- 待办: one row per person per visit of a flow node. `round` counts visits of
-- the node by the application (a flow may come back to a node). 'unassigned'
-- tasks have no assignee: too few eligible people, waiting for a branch head.
-- `opinion` stays sealed from parallel holders until the node is complete.
CREATE TABLE flow_tasks (
    id              TEXT PRIMARY KEY,
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    branch_id       TEXT NOT NULL REFERENCES organisations(id),
    application_id  TEXT NOT NULL REFERENCES applications(id),
    node_id         TEXT NOT NULL,
    node_kind       TEXT NOT NULL,
    round           INTEGER NOT NULL,
    post            TEXT NOT NULL,
    assignee_id     TEXT REFERENCES staff_users(id),
    status          TEXT NOT NULL CHECK (status IN ('open', 'unassigned', 'done', 'reassigned', 'cancelled')),
    opinion         TEXT CHECK (opinion IN ('approve', 'reject')),
    comment         TEXT,
    due_at          BIGINT,
    escalated_at    BIGINT,
    created_at      BIGINT NOT NULL,
    completed_at    BIGINT,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX flow_tasks_inbox ON flow_tasks(assignee_id, status, due_at);
CREATE INDEX flow_tasks_application ON flow_tasks(application_id, node_id, round);
CREATE INDEX flow_tasks_branch ON flow_tasks(branch_id, status, due_at);

-- Back-to-back investigations (背对背调查) give two reports per application:
-- the one-report-per-application constraint goes, each report names its task.
CREATE TABLE investigations_v2 (
    id                       TEXT PRIMARY KEY,
    application_id           TEXT NOT NULL REFERENCES applications(id),
    task_id                  TEXT REFERENCES flow_tasks(id),
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
INSERT INTO investigations_v2 (id, application_id, task_id, investigator_id, visited_on,
    household_income_fen, household_assets_fen, household_debts_fen, findings,
    recommendation, recommended_amount_fen, created_at)
SELECT id, application_id, NULL, investigator_id, visited_on, household_income_fen,
    household_assets_fen, household_debts_fen, findings, recommendation,
    recommended_amount_fen, created_at
FROM investigations;
DROP TABLE investigations;
ALTER TABLE investigations_v2 RENAME TO investigations;
CREATE INDEX investigations_application ON investigations(application_id, created_at);
