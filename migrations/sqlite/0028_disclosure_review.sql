-- 复议/诉讼 against an answered request, entered when it is known: which (行政复议, 行政诉讼 without
-- or after 复议), its result (维持, 纠正, 其他, 尚未审结) and the day it was entered; table 四 of the
-- annual report counts them.
ALTER TABLE disclosure_request ADD COLUMN review_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_request ADD COLUMN review_result TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_request ADD COLUMN review_on TEXT;
ALTER TABLE disclosure_request ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
