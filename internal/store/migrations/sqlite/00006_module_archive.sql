-- +goose Up
-- A trainer or admin may archive a module: it leaves the catalogue and
-- cannot be started or newly assigned, while its revisions, records,
-- progress and report rows stay. NULL: the module is live.
ALTER TABLE modules ADD COLUMN archived_at DATETIME;

-- +goose Down
ALTER TABLE modules DROP COLUMN archived_at;
