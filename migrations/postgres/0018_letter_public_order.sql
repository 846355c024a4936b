-- 来信选登 reads newest reply first (the date the list shows), so the public indexes follow
-- replied_at instead of the publication time.
DROP INDEX letter_public;
DROP INDEX letter_public_all;
CREATE INDEX letter_public ON letter (mailbox_id, published, replied_at, id);
CREATE INDEX letter_public_all ON letter (published, replied_at, id);
