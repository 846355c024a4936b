-- 部门考核: the rules that turn the figures modules provide per department into points. Every
-- install starts with a 100-point sheet the office can change.
CREATE TABLE assessment_rule (
    id          INTEGER PRIMARY KEY,
    figure_key  TEXT NOT NULL,
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    points      REAL NOT NULL,
    target      REAL NOT NULL DEFAULT 0,
    sort_order  BIGINT NOT NULL DEFAULT 0,
    updated_by  TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL DEFAULT 0
);

INSERT INTO assessment_rule (figure_key, label, kind, points, target, sort_order) VALUES
    ('cms.quota_rate', '信息发布指标完成率', 'target', 20, 100, 1),
    ('letters.on_time_rate', '来信按期办结率', 'rate', 20, 0, 2),
    ('letters.satisfaction_rate', '来信办理满意率', 'rate', 15, 0, 3),
    ('services.on_time_rate', '办件按期办结率', 'rate', 15, 0, 4),
    ('services.bad', '办件差评（每件扣 1 分）', 'deduct', 10, 1, 5),
    ('disclosure.on_time_rate', '依申请公开按期答复率', 'rate', 10, 0, 6),
    ('ratings.satisfaction_rate', '机关效能评价满意率', 'rate', 10, 0, 7);
