-- The address an online application came from, for the per-address rate limit (staff only).
ALTER TABLE application ADD COLUMN ip TEXT NOT NULL DEFAULT '';
CREATE INDEX application_ip ON application (ip, submitted_at);
