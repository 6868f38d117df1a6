-- 线上开户与实名认证: a person new to the bank signs up with a phone and an
-- SMS code (a registration), proves who they are with their ID card's
-- photos read by OCR and a selfie checked by a face provider, and becomes
-- a customer. An officer's referral code (码上营销, the QR code's /r/CODE)
-- is kept from the first visit to the customer and their applications.

CREATE TABLE referral_codes (
    code        TEXT PRIMARY KEY,
    bank_id     TEXT NOT NULL REFERENCES organisations(id),
    officer_id  TEXT NOT NULL REFERENCES staff_users(id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);
CREATE INDEX referral_codes_officer ON referral_codes(officer_id);

-- Uploaded files' records; the bytes (sealed) are in the upload store
-- (service/src/uploads.rs), named by the id.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    bank_id       TEXT NOT NULL REFERENCES organisations(id),
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('registration', 'application')),
    owner_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX uploads_owner ON uploads(owner_kind, owner_id);

CREATE TABLE registrations (
    id                    TEXT PRIMARY KEY,
    bank_id               TEXT NOT NULL REFERENCES organisations(id),
    phone_sealed          TEXT NOT NULL,
    phone_idx             TEXT NOT NULL,
    referral_code         TEXT REFERENCES referral_codes(code),
    id_front_upload       TEXT REFERENCES uploads(id),
    id_back_upload        TEXT REFERENCES uploads(id),
    -- What OCR read from each side (JSON, sealed): the suggestions.
    front_reading_sealed  TEXT,
    back_reading_sealed   TEXT,
    -- What the customer confirmed (JSON of domain::id_card::IdCardReading, sealed).
    reading_sealed        TEXT,
    id_number_idx         TEXT,
    selfie_upload         TEXT REFERENCES uploads(id),
    face_score            BIGINT,
    customer_id           TEXT REFERENCES customers(id),
    version               BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    verified_at           BIGINT
);
CREATE UNIQUE INDEX registrations_phone ON registrations(phone_idx);

ALTER TABLE customers ADD COLUMN referral_code TEXT;
ALTER TABLE applications ADD COLUMN referral_code TEXT;
