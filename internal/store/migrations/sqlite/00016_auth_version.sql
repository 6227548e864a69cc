-- +goose Up
-- Whether a caller may still act (their roles, name, whether they are
-- disabled, whether their login is revoked) is cached in memory; these
-- triggers bump the user's auth_version and the one-row auth_epoch in the
-- same transaction as any such change, whichever code or process makes it
-- (the server, the command line, another replica), so every cache can tell
-- cheaply that it must forget. A migration that rebuilds users or
-- refresh_tokens must create these triggers again.
ALTER TABLE users ADD COLUMN auth_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE auth_epoch (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER users_auth_change AFTER UPDATE OF roles, disabled, name ON users
WHEN OLD.roles IS NOT NEW.roles OR OLD.disabled IS NOT NEW.disabled OR OLD.name IS NOT NEW.name
BEGIN
    UPDATE users SET auth_version = auth_version + 1 WHERE id = NEW.id;
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_auth_delete AFTER DELETE ON users
BEGIN
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER refresh_tokens_auth_revoke AFTER UPDATE OF revoked_at ON refresh_tokens
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
    UPDATE users SET auth_version = auth_version + 1 WHERE id = NEW.user_id;
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER refresh_tokens_auth_delete AFTER DELETE ON refresh_tokens
WHEN OLD.revoked_at IS NULL
BEGIN
    UPDATE users SET auth_version = auth_version + 1 WHERE id = OLD.user_id;
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER refresh_tokens_auth_delete;
DROP TRIGGER refresh_tokens_auth_revoke;
DROP TRIGGER users_auth_delete;
DROP TRIGGER users_auth_change;
DROP TABLE auth_epoch;
ALTER TABLE users DROP COLUMN auth_version;
