-- Collateral (押品, issue 16 item 2): what secures a mortgage or pledge
-- loan, recorded on its application by the officer, with the certificate
-- of title (权证号), the registration number once the mortgage is
-- registered (抵押登记号), and a valuation with its date.
--
-- `custody` is where the title papers are: `registered` (recorded, not in
-- the vault), `in_pending` (入库 asked), `in_vault`, `out_pending` (出库
-- asked, once the loan is paid off), `released`. A move is asked by one
-- person (`custody_asked_by`) and confirmed or refused by another; each
-- step is in the audit log. `version` guards concurrent moves.
CREATE TABLE collaterals (
    id                TEXT PRIMARY KEY,
    application_id    TEXT NOT NULL REFERENCES applications(id),
    bank_id           TEXT NOT NULL REFERENCES organisations(id),
    kind              TEXT NOT NULL CHECK (kind IN ('house', 'land_right', 'vehicle', 'equipment', 'deposit_slip', 'receivable')),
    owner_name        TEXT NOT NULL,
    certificate_no    TEXT NOT NULL,
    registration_no   TEXT,
    valuation_fen     BIGINT NOT NULL CHECK (valuation_fen > 0),
    valued_on         TEXT NOT NULL,
    valuer            TEXT NOT NULL,
    description       TEXT NOT NULL,
    custody           TEXT NOT NULL CHECK (custody IN ('registered', 'in_pending', 'in_vault', 'out_pending', 'released')),
    custody_asked_by  TEXT REFERENCES staff_users(id),
    custody_asked_at  BIGINT,
    created_by        TEXT NOT NULL REFERENCES staff_users(id),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX collaterals_application ON collaterals(application_id);
CREATE UNIQUE INDEX collaterals_certificate ON collaterals(bank_id, kind, certificate_no) WHERE custody <> 'released';
