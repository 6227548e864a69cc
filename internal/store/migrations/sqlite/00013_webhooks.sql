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
    previous_until  DATETIME,
    created_by      TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    rotated_at      DATETIME
);

-- +goose Down
DROP TABLE webhooks;
