-- Guarantors (保证人, issue 16 item 2) of a guaranteed loan, recorded on its
-- application by the officer. Each gives their own consent (an SMS code to
-- their own phone, `consent_code_id`), is checked at the credit bureau
-- (`bureau_*`: the report sealed like every credit report), and signs the
-- application's one guarantee contract (`contract_signers`, role
-- 'guarantor', `guarantor_id`). The ID number and phone are sealed; the
-- ID number's blind index keeps one live record per person and application.
--
-- `status`: recorded → consented (bureau not answered yet) → accepted or
-- declined → signed; or removed (not once signed). `version` guards
-- concurrent steps.
CREATE TABLE guarantors (
    id                    TEXT PRIMARY KEY,
    application_id        TEXT NOT NULL REFERENCES applications(id),
    bank_id               TEXT NOT NULL REFERENCES organisations(id),
    name                  TEXT NOT NULL,
    id_number_sealed      TEXT NOT NULL,
    id_number_idx         TEXT NOT NULL,
    phone_sealed          TEXT NOT NULL,
    relation              TEXT NOT NULL CHECK (relation IN ('relative', 'neighbour', 'friend', 'colleague', 'business_partner', 'other')),
    note                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('recorded', 'consented', 'accepted', 'declined', 'signed', 'removed')),
    consent_code_id       TEXT,
    consented_at          BIGINT,
    bureau_provider       TEXT,
    bureau_outcome        TEXT,
    bureau_error          TEXT,
    bureau_report_sealed  TEXT,
    decline_reason        TEXT,
    checked_at            BIGINT,
    signed_at             BIGINT,
    created_by            TEXT NOT NULL REFERENCES staff_users(id),
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    version               BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX guarantors_application ON guarantors(application_id);
CREATE UNIQUE INDEX guarantors_person ON guarantors(application_id, id_number_idx) WHERE status <> 'removed';

-- Which guarantor a guarantee contract's signer row is.
ALTER TABLE contract_signers ADD COLUMN guarantor_id TEXT REFERENCES guarantors(id);
