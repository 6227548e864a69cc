-- +goose Up
-- The outbox: every message upskill sends to the outside world (mail now;
-- webhooks and xAPI later) is first a row here, written in the same
-- transaction as the change that causes it, then delivered by the
-- dispatcher (internal/outbox) at least once.
--
--   target        who delivers it: "mail", "webhook", ...
--   kind          what it is, for that deliverer: "invitation", "digest", ...
--   ordering_key  rows with one (target, ordering_key) go out in id order:
--                 a row waits while an earlier one for the same key is pending
--   payload       JSON of ids only, never a rendered message or a live token
--   dedup_key     when set, a second row with the same key is never written
--                 ("never the same reminder twice")
--   status        pending (including in flight), delivered, failed (gave up;
--                 an admin may retry it)
--   locked_until  a claim: the worker named by locked_by holds the row until
--                 then; a crashed worker's claim simply runs out

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    ordering_key    TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT '{}',
    dedup_key       TEXT UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    next_attempt_at DATETIME NOT NULL,
    give_up_at      DATETIME NOT NULL,
    last_attempt_at DATETIME,
    delivered_at    DATETIME,
    locked_until    DATETIME,
    locked_by       TEXT NOT NULL DEFAULT ''
);
-- The dispatcher's claim: pending rows that are due.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
-- Ordering: is there an earlier pending row for this target and key?
CREATE INDEX outbox_order ON outbox (target, ordering_key, id);

-- One-time tokens sent by mail: invitations (7 days) and password resets
-- (1 hour). Only a hash is kept; a newer token of the same purpose deletes
-- the unused older one, and a used token keeps used_at.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- Reminders (internal/notify): each reminder item a person was sent, so
-- the same reminder never goes twice whatever the replicas or restarts.
-- item is "<kind>:<what>:<period>", e.g. "overdue:<assignment>:2026-11-02:3"
-- for the fourth weekly overdue notice; sent_on is the digest's local date.
CREATE TABLE reminders_sent (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item    TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    PRIMARY KEY (user_id, item)
);

-- A person's choice about optional reminders (none stored: reminders on).
CREATE TABLE notification_prefs (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reminders  BOOLEAN NOT NULL,
    updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE notification_prefs;
DROP TABLE reminders_sent;
DROP TABLE user_tokens;
DROP TABLE outbox;
