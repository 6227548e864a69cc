-- +goose Up
-- Webhook endpoints (internal/evidence): an admin registers a URL and the
-- events it wants. Deliveries are outbox rows (target "webhook", one per
-- endpoint and event), ordered per endpoint and learner.
--
--   events           JSON array of event types, e.g. ["record.issued"]
--   secret           the signing secret, sealed (AES-256-GCM under a key
--                    derived from the record-signing key); never returned
--                    after creation or rotation
--   previous_secret  the secret before the last rotation, sealed; it still
--                    signs until previous_until (24 hours after rotating)

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_until  TIMESTAMPTZ,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    rotated_at      TIMESTAMPTZ
);

-- The outbox's ordering check (is there an earlier pending row for this
-- target and key?) and PostgreSQL's claim (each key's first pending row)
-- read only pending rows: delivered ones no longer slow them down.
CREATE INDEX outbox_pending_order ON outbox (target, ordering_key, id) WHERE status = 'pending';

-- +goose Down
DROP INDEX outbox_pending_order;
DROP TABLE webhooks;
