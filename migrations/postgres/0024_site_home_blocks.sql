-- The home-page blocks other modules feed (热门事项, 办件公示, 最新答复), chosen per site by its
-- administrators: space-separated block keys in display order.
ALTER TABLE site ADD COLUMN home_blocks TEXT NOT NULL DEFAULT '';
