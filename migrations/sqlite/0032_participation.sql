-- 公众参与: consultations on drafts (意见征集) with comments on passages, reader flags and the
-- 意见采纳情况 report; surveys (网上调查) with one response per browser and counters per choice;
-- online interviews and hearings (在线访谈, 网上听政) with their live message stream. Contacts
-- are sealed by the application and never shown publicly.

CREATE TABLE consultation (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    title           TEXT NOT NULL,
    -- general, major (重大行政决策: at least 30 days unless short_reason is given)
    kind            TEXT NOT NULL,
    short_reason    TEXT NOT NULL DEFAULT '',
    draft           TEXT NOT NULL,
    explanation     TEXT NOT NULL DEFAULT '',
    opens_at        BIGINT NOT NULL,
    closes_at       BIGINT NOT NULL,
    premoderated    BOOLEAN NOT NULL DEFAULT TRUE,
    name_required   BOOLEAN NOT NULL DEFAULT FALSE,
    contact_required BOOLEAN NOT NULL DEFAULT FALSE,
    -- reader flags that hide a visible comment until a moderator looks (0: never)
    hide_threshold  BIGINT NOT NULL DEFAULT 3,
    survey_id       BIGINT,
    -- draft, pending, approved, open, closed, reported
    state           TEXT NOT NULL,
    report_intro    TEXT NOT NULL DEFAULT '',
    reported_at     BIGINT,
    -- the final policy's page, once published
    final_url       TEXT NOT NULL DEFAULT '',
    revised_at      BIGINT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX consultation_state ON consultation (state, opens_at);

CREATE TABLE consultation_comment (
    id              INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultation(id),
    -- {para_no, para_text, quote, prefix, suffix}; para_no 0: on the whole draft
    anchor          TEXT NOT NULL DEFAULT '{}',
    body            TEXT NOT NULL,
    author_name     TEXT NOT NULL DEFAULT '',
    contact         TEXT NOT NULL DEFAULT '',
    -- pending, visible, hidden, rejected
    state           TEXT NOT NULL,
    flags           BIGINT NOT NULL DEFAULT 0,
    -- '', adopted, partial, not_adopted
    adoption        TEXT NOT NULL DEFAULT '',
    adoption_reason TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    moderated_by    TEXT NOT NULL DEFAULT '',
    moderated_at    BIGINT
);
CREATE INDEX consultation_comment_of ON consultation_comment (consultation_id, state, id);
CREATE INDEX consultation_comment_queue ON consultation_comment (state, id);
CREATE INDEX consultation_comment_ip ON consultation_comment (ip, created_at);

CREATE TABLE consultation_flag (
    comment_id      BIGINT NOT NULL REFERENCES consultation_comment(id),
    voter           TEXT NOT NULL,
    at              BIGINT NOT NULL,
    PRIMARY KEY (comment_id, voter)
);

CREATE TABLE survey (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    title           TEXT NOT NULL,
    intro           TEXT NOT NULL DEFAULT '',
    -- the questions as JSON (see participation::domain::Question)
    questions       TEXT NOT NULL,
    -- draft, open, closed
    state           TEXT NOT NULL,
    opens_at        BIGINT NOT NULL,
    closes_at       BIGINT NOT NULL,
    live_results    BOOLEAN NOT NULL DEFAULT FALSE,
    -- responses allowed per address and day, besides one per browser
    per_address_daily BIGINT NOT NULL DEFAULT 20,
    responses       BIGINT NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE survey_response (
    id              INTEGER PRIMARY KEY,
    survey_id       BIGINT NOT NULL REFERENCES survey(id),
    answers         TEXT NOT NULL,
    -- hash of the browser's token: one response per browser
    voter           TEXT NOT NULL,
    ip              TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    UNIQUE (survey_id, voter)
);
CREATE INDEX survey_response_ip ON survey_response (survey_id, ip, created_at);

-- Counters per survey, question and choice (choice '*' counts the respondents who answered the
-- question), moved by each response in its own transaction: results never scan the responses.
CREATE TABLE survey_tally (
    survey_id       BIGINT NOT NULL,
    question        BIGINT NOT NULL,
    choice          TEXT NOT NULL,
    n               BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, question, choice)
);

CREATE TABLE interview (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES org_unit(id),
    -- interview, hearing
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    intro           TEXT NOT NULL DEFAULT '',
    -- [{name, post, role: guest|participant}]
    guests          TEXT NOT NULL DEFAULT '[]',
    starts_at       BIGINT NOT NULL,
    -- draft, announced, live, ended
    state           TEXT NOT NULL,
    recap           TEXT NOT NULL DEFAULT '',
    -- raised by every change to the stream (its messages carry the value they were written at):
    -- viewers on every node catch up with `rev > last seen`
    rev             BIGINT NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE interview_message (
    id              INTEGER PRIMARY KEY,
    interview_id    BIGINT NOT NULL REFERENCES interview(id),
    rev             BIGINT NOT NULL,
    -- the revision it was first shown at: its place in the stream
    shown_rev       BIGINT,
    -- host, guest, participant, public, notice
    speaker         TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    -- an answer's question
    reply_to        BIGINT,
    -- pending, shown, rejected, deleted
    state           TEXT NOT NULL,
    contact         TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    -- written after the event (a follow-up answer)
    followup        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX interview_message_rev ON interview_message (interview_id, rev);
CREATE INDEX interview_message_ip ON interview_message (ip, created_at);
