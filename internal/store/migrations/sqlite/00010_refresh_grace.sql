-- +goose Up
-- When a spent refresh token got its one sibling within the reuse grace.
ALTER TABLE refresh_tokens ADD COLUMN grace_used_at DATETIME;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN grace_used_at;
