-- +goose Up
-- The sign-in throttle now counts attempts per (address, account) pair, per
-- address and per account; rows of the old per-email keys mean nothing now.
DELETE FROM login_throttle;
ALTER TABLE login_throttle ADD COLUMN account TEXT NOT NULL DEFAULT '';
CREATE INDEX login_throttle_account ON login_throttle (account);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- A login's absolute end, copied to every token of the family. NULL on
-- tokens issued before this migration: their next rotation sets it.
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN family_expires_at;
DROP INDEX login_throttle_window;
DROP INDEX login_throttle_account;
ALTER TABLE login_throttle DROP COLUMN account;
