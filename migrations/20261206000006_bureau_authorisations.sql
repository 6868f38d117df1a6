-- 征信查询授权: a person's signed authorisation for the bank to query the
-- credit bureau outside an application (整村授信, 白名单预授信), with its
-- evidence (the signed form's number) and validity. Pre-credit asks the
-- bureau, or reuses a report, only for people holding one on the job's day.
CREATE TABLE bureau_authorisations (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    bank_id       TEXT NOT NULL REFERENCES organisations(id),
    evidence      TEXT NOT NULL,
    granted_on    TEXT NOT NULL,
    expires_on    TEXT NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES staff_users(id),
    recorded_at   BIGINT NOT NULL,
    withdrawn_at  BIGINT
);
CREATE INDEX bureau_authorisations_customer ON bureau_authorisations(customer_id, expires_on);
