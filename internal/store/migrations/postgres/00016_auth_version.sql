-- +goose Up
-- Whether a caller may still act (their roles, name, whether they are
-- disabled, whether their login is revoked) may be cached in memory; these
-- triggers bump the user's auth_version and the one-row auth_epoch in the
-- same transaction as any such change, whichever code or process makes it,
-- and NOTIFY upskill_auth (delivered at commit) so other replicas hear of it.
ALTER TABLE users ADD COLUMN auth_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE auth_epoch (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION upskill_users_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
        PERFORM pg_notify('upskill_auth', OLD.id);
        RETURN OLD;
    END IF;
    NEW.auth_version := OLD.auth_version + 1;
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
    PERFORM pg_notify('upskill_auth', NEW.id);
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER users_auth_change BEFORE UPDATE OF roles, disabled, name ON users
FOR EACH ROW WHEN (OLD.roles IS DISTINCT FROM NEW.roles OR OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION upskill_users_auth_change();

CREATE TRIGGER users_auth_delete AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION upskill_users_auth_change();

-- +goose StatementBegin
CREATE FUNCTION upskill_refresh_tokens_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET auth_version = auth_version + 1 WHERE id = OLD.user_id;
    UPDATE auth_epoch SET version = version + 1 WHERE id = 1;
    PERFORM pg_notify('upskill_auth', OLD.user_id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER refresh_tokens_auth_revoke AFTER UPDATE OF revoked_at ON refresh_tokens
FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
EXECUTE FUNCTION upskill_refresh_tokens_auth_change();

CREATE TRIGGER refresh_tokens_auth_delete AFTER DELETE ON refresh_tokens
FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
EXECUTE FUNCTION upskill_refresh_tokens_auth_change();

-- A publish, archive or import changes modules: every replica hears of it
-- (store.DB.Listen) and reloads its catalog at once; its 30-second poll
-- stays as the fallback.
-- +goose StatementBegin
CREATE FUNCTION upskill_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('upskill_catalog', '');
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER modules_changed AFTER INSERT OR UPDATE OR DELETE ON modules
FOR EACH STATEMENT EXECUTE FUNCTION upskill_catalog_changed();

-- +goose Down
DROP TRIGGER modules_changed ON modules;
DROP FUNCTION upskill_catalog_changed();
DROP TRIGGER refresh_tokens_auth_delete ON refresh_tokens;
DROP TRIGGER refresh_tokens_auth_revoke ON refresh_tokens;
DROP FUNCTION upskill_refresh_tokens_auth_change();
DROP TRIGGER users_auth_delete ON users;
DROP TRIGGER users_auth_change ON users;
DROP FUNCTION upskill_users_auth_change();
DROP TABLE auth_epoch;
ALTER TABLE users DROP COLUMN auth_version;
