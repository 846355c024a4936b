-- 图文直播: a message posted by staff may carry a photo (kept by content hash in the
-- interview file area, `<sha256>.<ext>`) and the photo's description read by screen readers.

ALTER TABLE interview_message ADD COLUMN photo TEXT NOT NULL DEFAULT '';
ALTER TABLE interview_message ADD COLUMN photo_alt TEXT NOT NULL DEFAULT '';

-- A photo is served only while a shown message carries it: that lookup, over the photos alone.
CREATE INDEX interview_message_photo ON interview_message (photo) WHERE photo <> '';
