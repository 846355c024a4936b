-- A handler's reply saved as a draft before it is submitted for review (kept apart from the reply
-- itself, which the writer and the public may see once it is approved).
ALTER TABLE letter ADD COLUMN reply_draft TEXT NOT NULL DEFAULT '';
