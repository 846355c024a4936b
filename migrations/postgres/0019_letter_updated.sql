-- Published letters are indexed for the site search by following changes in update order.
CREATE INDEX letter_updated ON letter (updated_at, id);
