-- Materials as upload slots and decisions with a document number:
-- the materials a 补正 asks for (JSON list of names), the 决定书's 文号, who acted at each step
-- (a step may require a different person than the previous one), and per item the steps that
-- require it (JSON list of step names).
ALTER TABLE application ADD COLUMN correction_materials TEXT NOT NULL DEFAULT '[]';
ALTER TABLE application ADD COLUMN decision_no TEXT NOT NULL DEFAULT '';
ALTER TABLE application_event ADD COLUMN actor_id BIGINT;
ALTER TABLE service_item ADD COLUMN distinct_steps TEXT NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX application_decision_no ON application (decision_no) WHERE decision_no <> '';
