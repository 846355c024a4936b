-- 政府网站工作年度报表 made public on the site: when it first went public (the 31 January duty is
-- judged on this) and the report as published (JSON), so later edits do not change what citizens
-- read until it is published again.
ALTER TABLE annual_report ADD COLUMN published_at BIGINT;
ALTER TABLE annual_report ADD COLUMN published TEXT NOT NULL DEFAULT '';
