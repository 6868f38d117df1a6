-- 进度通知: every status an application takes, its payout, and the
-- officer's answer to a visit booked (预约上门, next migration) leave a
-- notice for the customer in the same transaction as the change (the app's
-- 消息 page reads them), and a text message that a sender takes from here
-- after the change commits, once: a sender claims a pending row before it
-- sends, and a row left claimed by a stopped sender is never sent again.
CREATE TABLE customer_notices (
    id              TEXT PRIMARY KEY,
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    application_id  TEXT NOT NULL REFERENCES applications(id),
    kind            TEXT NOT NULL CHECK (kind IN ('submitted', 'investigated', 'approved',
                      'rejected', 'withdrawn', 'paid_out', 'visit_confirmed',
                      'visit_proposed')),
    -- The visit's time, on a visit's notice (as it was when the notice was left).
    visit_at        BIGINT,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT,
    sms_status      TEXT NOT NULL CHECK (sms_status IN ('pending', 'sending', 'sent',
                      'failed', 'unknown')),
    sms_attempts    INTEGER NOT NULL DEFAULT 0,
    -- When the sender took it (sending), or may try it again (pending).
    sms_at          BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX customer_notices_customer ON customer_notices(customer_id, created_at);
CREATE INDEX customer_notices_sms ON customer_notices(sms_status, sms_at);

-- The category of reason the customer is told when a person refuses
-- (domain::notice::DeclineCategory); the comment stays internal.
ALTER TABLE flow_tasks ADD COLUMN decline_category TEXT;
