-- The second factor of staff sign-in (TOTP, RFC 6238): the shared secret of
-- the enrolled authenticator app and of one being added, both sealed like
-- personal information (`pfi1.…`), and the last time step accepted, so a
-- code is taken once.
ALTER TABLE staff_users ADD COLUMN totp_sealed TEXT;
ALTER TABLE staff_users ADD COLUMN totp_pending_sealed TEXT;
ALTER TABLE staff_users ADD COLUMN totp_last_step BIGINT;
