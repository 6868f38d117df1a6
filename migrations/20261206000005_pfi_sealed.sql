-- Personal financial information sealed at rest (service/src/pfi.rs):
-- ID numbers, phone numbers, credit reports and the development SMS
-- outbox's copies hold AES-256-GCM sealed text (`pfi1.<key>.<base64>`);
-- lookups and uniqueness go through keyed blind indexes (`*_idx`). Rows
-- written before this migration still hold plain text in the renamed
-- columns: the server seals them at start-up, before it serves anything.

ALTER TABLE customers RENAME COLUMN id_number TO id_number_sealed;
ALTER TABLE customers RENAME COLUMN phone TO phone_sealed;
ALTER TABLE customers ADD COLUMN id_number_idx TEXT;
ALTER TABLE customers ADD COLUMN phone_idx TEXT;
DROP INDEX customers_bank_id_number;
CREATE UNIQUE INDEX customers_bank_id_number ON customers(bank_id, id_number_idx);
CREATE UNIQUE INDEX customers_phone ON customers(phone_idx);

-- A one-time code is found by the phone's index; codes live five minutes,
-- so those in flight during the upgrade are dropped rather than converted.
DELETE FROM sms_codes;
DROP INDEX sms_codes_phone;
ALTER TABLE sms_codes RENAME COLUMN phone TO phone_idx;
CREATE INDEX sms_codes_phone ON sms_codes(phone_idx, created_at);

ALTER TABLE sms_outbox RENAME COLUMN phone TO phone_sealed;
ALTER TABLE sms_outbox RENAME COLUMN body TO body_sealed;
ALTER TABLE sms_outbox ADD COLUMN phone_idx TEXT;

ALTER TABLE bureau_inquiries RENAME COLUMN report TO report_sealed;
