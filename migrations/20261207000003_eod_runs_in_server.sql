-- 日终跑批 inside the server: a run's progress (loans to do, beside the
-- loans done already counted), why a failed run stopped, and who asked for
-- a rerun (NULL: the scheduler or the command line).
ALTER TABLE eod_runs ADD COLUMN loans_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE eod_runs ADD COLUMN error TEXT;
ALTER TABLE eod_runs ADD COLUMN requested_by TEXT;
