-- Staff accounts that start with a one-time password (the first
-- administrator made by `puhui init`, staff added or reset by an operator)
-- must choose their own at first sign-in.
ALTER TABLE staff_users ADD COLUMN must_change_password SMALLINT NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
ALTER TABLE staff_users ADD COLUMN password_changed_at BIGINT;
