-- 预约上门: the hours an officer offers for on-site visits, and the visits
-- customers book in them (domain::visit). A slot is held by at most one
-- visit: booking it is a guarded update of its free slot, so of two
-- customers who pick the same hour at once one gets it and the other is
-- told it was taken. An application has at most one live visit.
CREATE TABLE visit_slots (
    id              TEXT PRIMARY KEY,
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    officer_id      TEXT NOT NULL REFERENCES staff_users(id),
    starts_at       BIGINT NOT NULL,
    -- The visit holding it; NULL while free.
    visit_id        TEXT,
    created_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX visit_slots_officer_start ON visit_slots(officer_id, starts_at);

CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    bank_id         TEXT NOT NULL REFERENCES organisations(id),
    branch_id       TEXT NOT NULL REFERENCES organisations(id),
    application_id  TEXT NOT NULL REFERENCES applications(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    officer_id      TEXT NOT NULL REFERENCES staff_users(id),
    slot_id         TEXT NOT NULL REFERENCES visit_slots(id),
    starts_at       BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'proposed', 'confirmed',
                      'cancelled')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX visits_live ON visits(application_id) WHERE status <> 'cancelled';
CREATE INDEX visits_officer ON visits(officer_id, status, starts_at);
