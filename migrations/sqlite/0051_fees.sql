-- 一口式收费 (seed 001's approval centre): an item's fee standard as amounts, the payment notice
-- (缴款通知书) a handler issues on an application with its lines, payment code and state, and what
-- the payment provider recorded (the default: the cashier at the window).

-- One line of an item's 收费标准: what is charged, how much (分), on what basis.
CREATE TABLE service_fee (
    id              INTEGER PRIMARY KEY,
    item_id         BIGINT NOT NULL REFERENCES service_item(id),
    name            TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    basis           TEXT NOT NULL DEFAULT '',
    sort_order      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX service_fee_item ON service_fee (item_id, sort_order);

CREATE TABLE fee_notice (
    id              INTEGER PRIMARY KEY,
    -- JK + id, printed on the notice
    no              TEXT NOT NULL,
    application_id  BIGINT NOT NULL REFERENCES application(id),
    item_id         BIGINT NOT NULL REFERENCES service_item(id),
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    -- 20 digits with a check digit: what the payer quotes or scans
    payment_code    TEXT NOT NULL,
    -- 分
    total           BIGINT NOT NULL,
    -- unpaid, paid, refunded, cancelled
    state           TEXT NOT NULL,
    provider        TEXT NOT NULL DEFAULT '',
    -- how it was paid (现金, 银行卡, 扫码) and the provider's receipt number
    method          TEXT NOT NULL DEFAULT '',
    receipt_no      TEXT NOT NULL DEFAULT '',
    issued_by       TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    paid_by         TEXT NOT NULL DEFAULT '',
    paid_at         BIGINT,
    refunded_by     TEXT NOT NULL DEFAULT '',
    refunded_at     BIGINT,
    reason          TEXT NOT NULL DEFAULT '',
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX fee_notice_no ON fee_notice (no);
CREATE UNIQUE INDEX fee_notice_code ON fee_notice (payment_code);
-- At most one notice in force per application (a cancelled or refunded one may be followed by another).
CREATE UNIQUE INDEX fee_notice_open ON fee_notice (application_id) WHERE state IN ('unpaid', 'paid');
CREATE INDEX fee_notice_org ON fee_notice (org_id, issued_at);
CREATE INDEX fee_notice_paid ON fee_notice (paid_at);

CREATE TABLE fee_notice_line (
    id              INTEGER PRIMARY KEY,
    notice_id       BIGINT NOT NULL REFERENCES fee_notice(id),
    name            TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    basis           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fee_notice_line_notice ON fee_notice_line (notice_id);
