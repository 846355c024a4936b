-- 政策解读: an interpretation (文字, 图解, 视频, 问答) of a policy document, both catalogue items;
-- both pages show the link.
CREATE TABLE disclosure_interpretation (
    policy_id          BIGINT NOT NULL REFERENCES disclosure_item(id),
    interpretation_id  BIGINT NOT NULL REFERENCES disclosure_item(id),
    form               TEXT NOT NULL,
    PRIMARY KEY (policy_id, interpretation_id)
);
CREATE INDEX disclosure_interpretation_back ON disclosure_interpretation (interpretation_id);
