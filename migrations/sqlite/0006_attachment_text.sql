-- Text extracted from an attachment at upload (DOCX so far), indexed with its article.
ALTER TABLE attachment ADD COLUMN text TEXT NOT NULL DEFAULT '';
