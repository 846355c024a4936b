-- 好差评 appeals: a department may appeal a 差评 it considers malicious; a reviewer upholds it
-- (the rating no longer counts) or dismisses it. '' none, pending, upheld, dismissed.
ALTER TABLE application ADD COLUMN appeal_state TEXT NOT NULL DEFAULT '';
ALTER TABLE application ADD COLUMN appeal_reason TEXT NOT NULL DEFAULT '';
