-- Failed sign-in attempts counted by something other than an account: a
-- username no account has ("user#" and a peppered hash of it, so that an unknown name locks exactly
-- like a real one and the answers say nothing about which names exist) and
-- a source address ("ip:…", so one address cannot try many names).
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  BIGINT,
    updated_at    BIGINT NOT NULL
);
