-- Search: the query log (query text and hit count only — never who searched) for hot and
-- zero-result reports, and editor-chosen best bets (推荐结果) shown above results for a keyword.
CREATE TABLE search_log (
    id    INTEGER PRIMARY KEY,
    q     TEXT NOT NULL,
    hits  BIGINT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX search_log_at ON search_log (at);

CREATE TABLE search_bestbet (
    id          INTEGER PRIMARY KEY,
    keyword     TEXT NOT NULL,
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    sort_order  BIGINT NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX search_bestbet_keyword ON search_bestbet (keyword);
