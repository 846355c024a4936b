-- Public lists order and page on the placement table alone (covering indexes that end in
-- article_id, the final tie-break), and join articles only for the rows shown. Without the
-- article_id column the database sorted every placement of a channel, reading each article row,
-- on every list page, article page (neighbours) and feed.
DROP INDEX placement_list;
DROP INDEX placement_site;
CREATE INDEX placement_list ON placement (channel_id, live, pinned, pin_order, pub_at, article_id);
CREATE INDEX placement_channel_time ON placement (channel_id, live, pub_at, article_id);
CREATE INDEX placement_site ON placement (site_id, live, pub_at, article_id);
