-- 协同办公, 公文交换: outgoing documents with the GB/T 9704-2012 elements, their stored parts with
-- digests, one delivery per recipient unit (签收 with its receipt, 退文, 催办), and the recipient's
-- distribution and handling notes. Unit groups name sets of recipients.

CREATE TABLE office_document (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    -- draft, pending (待签发), sent, recalled
    state           TEXT NOT NULL,
    copy_no         TEXT NOT NULL DEFAULT '',
    -- only 非涉密 travels on this system
    secrecy         TEXT NOT NULL DEFAULT '非涉密',
    secrecy_term    TEXT NOT NULL DEFAULT '',
    -- '', 加急, 特急
    urgency         TEXT NOT NULL DEFAULT '',
    issuer_mark     TEXT NOT NULL,
    doc_no          TEXT NOT NULL DEFAULT '',
    signer          TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL,
    main_to         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    attachment_note TEXT NOT NULL DEFAULT '',
    sign_org        TEXT NOT NULL DEFAULT '',
    written_on      TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    cc              TEXT NOT NULL DEFAULT '',
    printer         TEXT NOT NULL DEFAULT '',
    printed_on      TEXT NOT NULL DEFAULT '',
    -- the chosen recipient unit ids, JSON, until it is sent
    recipients      TEXT NOT NULL DEFAULT '[]',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    signed_off_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX office_document_org ON office_document (org_id, id);

CREATE TABLE office_part (
    id              INTEGER PRIMARY KEY,
    document_id     BIGINT NOT NULL REFERENCES office_document(id),
    -- body (the signed PDF or OFD), attachment
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    stored          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    sm3             TEXT NOT NULL
);
CREATE INDEX office_part_doc ON office_part (document_id);

CREATE TABLE office_delivery (
    id              INTEGER PRIMARY KEY,
    document_id     BIGINT NOT NULL REFERENCES office_document(id),
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    -- pending (待签收), signed, returned, recalled
    state           TEXT NOT NULL,
    sent_at         BIGINT NOT NULL,
    signed_by       TEXT NOT NULL DEFAULT '',
    signed_by_id    BIGINT,
    signed_at       BIGINT,
    return_reason   TEXT NOT NULL DEFAULT '',
    -- the receipt as signed: JSON with the digests of everything received
    receipt         TEXT NOT NULL DEFAULT '',
    receipt_digest  TEXT NOT NULL DEFAULT '',
    reminders       BIGINT NOT NULL DEFAULT 0,
    reminded_at     BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (document_id, unit_id)
);
CREATE INDEX office_delivery_inbox ON office_delivery (unit_id, state, id);

CREATE TABLE office_note (
    id              INTEGER PRIMARY KEY,
    delivery_id     BIGINT NOT NULL REFERENCES office_delivery(id),
    -- forward (分发 within the unit), handle (办理意见)
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    author          TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX office_note_delivery ON office_note (delivery_id);

CREATE TABLE office_unit_group (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    -- member unit ids, JSON
    members         TEXT NOT NULL
);
