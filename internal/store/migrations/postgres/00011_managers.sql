-- +goose Up
-- A person's line manager, for the managers' team view and their digest.
ALTER TABLE users ADD COLUMN manager_id TEXT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX users_manager ON users (manager_id, id) WHERE manager_id IS NOT NULL;

-- +goose Down
DROP INDEX users_manager;
ALTER TABLE users DROP COLUMN manager_id;
