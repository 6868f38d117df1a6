-- Entries hashed with HMAC-SHA256 under a key derived from PUHUI_AUDIT_KEY
-- (kept outside the database) are marked keyed; entries an older version
-- wrote keep their plain SHA-256 hash. Once the log is keyed, a later entry
-- that is not is a rewrite (see service/src/audit/mod.rs).
ALTER TABLE audit_log ADD COLUMN keyed SMALLINT NOT NULL DEFAULT 0 CHECK (keyed IN (0, 1));
