-- +goose Up
-- Single sign-on and SCIM provisioning.
--
--   users.external_id     the identity provider's SCIM externalId (never the employee id)
--   users.scim_user_name  the SCIM userName, lower-case, when it is not the email
--   users.scim_deleted_at a SCIM DELETE: the person is disabled and hidden from SCIM,
--                         their evidence kept; a later POST of the same userName revives them
--   oidc_links            who a provider's (issuer, sub) pair is, stored at first sign-in
--   scim_tokens           provisioning bearer tokens, stored as hashes
--   scim_groups           SCIM groups and their members; never the department
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN scim_user_name TEXT;
ALTER TABLE users ADD COLUMN scim_deleted_at TIMESTAMPTZ;
CREATE INDEX users_external_id ON users (external_id);
CREATE UNIQUE INDEX users_scim_user_name ON users (scim_user_name) WHERE scim_user_name IS NOT NULL;

CREATE TABLE oidc_links (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_links_user ON oidc_links (user_id);

CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (token_hash);

CREATE TABLE scim_groups (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    external_id  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (display_name);

CREATE TABLE scim_group_members (
    group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (user_id);

-- +goose Down
DROP TABLE scim_group_members;
DROP TABLE scim_groups;
DROP TABLE scim_tokens;
DROP TABLE oidc_links;
DROP INDEX users_scim_user_name;
DROP INDEX users_external_id;
ALTER TABLE users DROP COLUMN scim_user_name;
ALTER TABLE users DROP COLUMN scim_deleted_at;
ALTER TABLE users DROP COLUMN external_id;
