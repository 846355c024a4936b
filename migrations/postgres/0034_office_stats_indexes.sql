-- 协同办公 statistics: deliveries of a period counted per unit from a covering index, and the
-- waiting ones found without scanning the signed.
CREATE INDEX office_delivery_period ON office_delivery (sent_at, unit_id, state, signed_at);
CREATE INDEX office_delivery_waiting ON office_delivery (state, sent_at);
