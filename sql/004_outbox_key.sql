-- MedicalCare auth: which key sealed each queued mail (common/outbox.h), so
-- that an install never fails or loses mail sealed under another
-- JWT_SECRET_KEY (a rotated key, a second install on the same database).
-- Applied once by sql/migrate.sh, which records it in schema_migrations.
--
-- Every mail queued from now on has an expires_at (notices, whose content does
-- not expire: 7 days); a pending row queued without one expires 7 days after
-- it was queued. Any install marks pending rows past it expired, whatever key
-- sealed them, so a row whose key no install holds any more ends too.

-- The id of the key that sealed the message: the first 8 bytes of
-- HMAC-SHA256(outbox key, a fixed label), never the key. An install claims
-- only rows of its own key id, and rows without one (queued before this file).
ALTER TABLE mail_outbox ADD COLUMN key_id bytea CHECK (octet_length(key_id) = 8);

-- Which install (by its key id) has logged that it cannot unseal which queued
-- mail: each logs a row once, and never claims a row it has recorded here.
-- The outbox row itself is left as it is; this goes with it.
CREATE TABLE mail_outbox_unreadable (
    outbox_id  bigint      NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
    key_id     bytea       NOT NULL CHECK (octet_length(key_id) = 8),
    noted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, key_id)
);
