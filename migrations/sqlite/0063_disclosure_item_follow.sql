-- Each node's search follower reads the items changed since its last pass every 15 seconds; without
-- this index each pass scanned the whole catalogue (35 ms at 100,000 items).
CREATE INDEX disclosure_item_updated ON disclosure_item (updated_at, id);
-- The office's 政策解读 counts per agency read the policies of each agency from the index alone
-- (21 ms at 100,000 items when each policy's row was read for its agency).
CREATE INDEX disclosure_item_topic_org ON disclosure_item (topic, org_id, id);
