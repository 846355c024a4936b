-- The public catalogue filtered by category and year (the common pair) reads its page and its
-- count from one index instead of filtering a category's items year by year.
CREATE INDEX disclosure_item_topic_year ON disclosure_item (topic, year, published_on);
