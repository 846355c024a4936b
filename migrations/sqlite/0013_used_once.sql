-- One-time values already used (captcha answers, form submission tokens), kept until they expire,
-- so a solved captcha or a reloaded form is refused on every node.
CREATE TABLE used_once (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_once_expires ON used_once (expires_at);
