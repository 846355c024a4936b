-- Which node ran a named background job for a period (a day's reminders): the primary key lets
-- exactly one node claim each period, however many nodes run the job loop.
CREATE TABLE job_claim (
    name        TEXT NOT NULL,
    period      TEXT NOT NULL,
    claimed_at  BIGINT NOT NULL,
    PRIMARY KEY (name, period)
);
