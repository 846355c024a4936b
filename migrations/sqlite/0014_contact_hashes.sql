-- Citizens' phones, e-mail addresses and home addresses are now stored sealed (AES-256-GCM, see
-- platform::sealed), so the rate limit that counts a writer's letters finds them by a keyed hash of
-- the contact instead of the plain value.
DROP INDEX letter_writer_phone;
DROP INDEX letter_writer_email;
ALTER TABLE letter ADD COLUMN phone_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE letter ADD COLUMN email_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX letter_writer_phone ON letter (phone_hash, submitted_at);
CREATE INDEX letter_writer_email ON letter (email_hash, submitted_at);
