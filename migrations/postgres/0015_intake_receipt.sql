-- What a public form's one-time submission produced (a letter's or an application's receipt, the
-- result of a rating), so that a reload or a second click is shown the first result instead of
-- filing again. Sealed: a receipt holds the query code. Kept two hours.
CREATE TABLE intake_receipt (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    receipt TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX intake_receipt_created ON intake_receipt (created_at);
