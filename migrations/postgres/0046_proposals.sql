-- 协同办公, 建议提案办理: NPC deputies' suggestions (建议) and CPPCC members' proposals (提案) of a
-- session, 交办 to one 主办 unit with 会办 units, the units' opinions, the reply with its result
-- code, the deputy's or member's rating and one reopening, 督办 and publication of public replies.

CREATE TABLE office_proposal (
    id              BIGSERIAL PRIMARY KEY,
    -- suggestion (人大代表建议), proposal (政协委员提案)
    kind            TEXT NOT NULL,
    session         TEXT NOT NULL,
    number          TEXT NOT NULL,
    member_name     TEXT NOT NULL,
    member_user_id  BIGINT REFERENCES app_user(id),
    title           TEXT NOT NULL,
    content         TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    -- registered, assigned, returned, reviewing, replied, reopened, closed
    state           TEXT NOT NULL,
    lead_unit_id    BIGINT REFERENCES org_unit(id),
    -- 1: a complex item with a six-month limit (approved by the office, reason kept)
    complex         BIGINT NOT NULL DEFAULT 0,
    complex_reason  TEXT NOT NULL DEFAULT '',
    assigned_at     BIGINT,
    due_on          TEXT NOT NULL DEFAULT '',
    -- the first instant after the due day (for on-time figures in SQL)
    due_at          BIGINT,
    return_by       TEXT NOT NULL DEFAULT '',
    return_reason   TEXT NOT NULL DEFAULT '',
    -- A 已解决或采纳, B 正在解决或列入计划, C 因条件限制暂时不能解决, D 留作参考
    result_code     TEXT NOT NULL DEFAULT '',
    reply           TEXT NOT NULL DEFAULT '',
    reply_public    BIGINT NOT NULL DEFAULT 0,
    replied_by      TEXT NOT NULL DEFAULT '',
    replied_at      BIGINT,
    -- '', satisfied, basic, unsatisfied
    rating          TEXT NOT NULL DEFAULT '',
    rating_comment  TEXT NOT NULL DEFAULT '',
    rated_at        BIGINT,
    reopened        BIGINT NOT NULL DEFAULT 0,
    urged           BIGINT NOT NULL DEFAULT 0,
    published_at    BIGINT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX office_proposal_number ON office_proposal (kind, session, number);
CREATE INDEX office_proposal_lead ON office_proposal (lead_unit_id, state);
CREATE INDEX office_proposal_member ON office_proposal (member_user_id);
CREATE INDEX office_proposal_published ON office_proposal (published_at);

-- The 会办 units of an item and each one's opinion to the 主办 unit (empty until sent; a later
-- one replaces it).
CREATE TABLE office_proposal_co_unit (
    id              BIGSERIAL PRIMARY KEY,
    proposal_id     BIGINT NOT NULL REFERENCES office_proposal(id),
    unit_id         BIGINT NOT NULL REFERENCES org_unit(id),
    opinion         TEXT NOT NULL DEFAULT '',
    opinion_by      TEXT NOT NULL DEFAULT '',
    opinion_at      BIGINT
);
CREATE UNIQUE INDEX office_proposal_co_unit_pair ON office_proposal_co_unit (proposal_id, unit_id);
CREATE INDEX office_proposal_co_unit_unit ON office_proposal_co_unit (unit_id);
