-- 政府网站工作年度报表: what a site's office enters by hand for a year (安全防护, 移动新媒体, 创新发展,
-- the signatures and the few counts no module holds), as JSON; everything else in the report is
-- generated from stored data when it is shown.
CREATE TABLE annual_report (
    site_id     BIGINT NOT NULL,
    year        BIGINT NOT NULL,
    manual      TEXT NOT NULL DEFAULT '{}',
    updated_by  TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (site_id, year)
);
