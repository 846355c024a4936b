-- 公文交换 statistics: each unit's deliveries per day they were sent (Beijing day, as the Unix time
-- of its midnight), counted at write time — received when sent, signed and the seconds it took
-- when signed — so a year's sign-for statistics read a few tens of thousands of counter rows
-- instead of a million deliveries. Filled here from the deliveries already stored.

CREATE TABLE office_delivery_day (
    unit_id         BIGINT NOT NULL,
    day             BIGINT NOT NULL,
    received        BIGINT NOT NULL DEFAULT 0,
    signed          BIGINT NOT NULL DEFAULT 0,
    signed_seconds  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

INSERT INTO office_delivery_day (unit_id, day, received, signed, signed_seconds)
SELECT unit_id, sent_at - ((sent_at + 28800) % 86400), COUNT(*),
       SUM(CASE WHEN state = 'signed' THEN 1 ELSE 0 END),
       COALESCE(SUM(CASE WHEN state = 'signed' THEN signed_at - sent_at ELSE 0 END), 0)
FROM office_delivery
GROUP BY unit_id, sent_at - ((sent_at + 28800) % 86400);

-- Documents sent in a period, per sending unit, and the deliveries waiting in a period, per unit,
-- counted from an index alone.
CREATE INDEX office_document_sent ON office_document (sent_at, org_id);
DROP INDEX office_delivery_waiting;
CREATE INDEX office_delivery_waiting ON office_delivery (state, sent_at, unit_id);
