-- The agency's own wording of the reply letter (告知书), with placeholders filled per request;
-- empty: the built-in wording.
ALTER TABLE disclosure_guide ADD COLUMN reply_template TEXT NOT NULL DEFAULT '';
