-- The hashes of a member of staff's earlier passwords: a new password may
-- not be any of the last few (等保2.0 三级; `ServiceConfig::password_history`).
CREATE TABLE staff_password_history (
    staff_id       TEXT NOT NULL REFERENCES staff_users(id),
    password_hash  TEXT NOT NULL,
    retired_at     BIGINT NOT NULL
);
CREATE INDEX staff_password_history_staff ON staff_password_history(staff_id, retired_at);
