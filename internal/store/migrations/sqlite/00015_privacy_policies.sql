-- +goose Up
-- Privacy and policies (internal/privacy, internal/policies).
--
--   policy_revisions   every published version of a policy
--                      (content/policies/<slug>.md or PUT /policies/{slug}):
--                      its source, the rendered HTML and the departments it
--                      applies to (JSON list; empty: everyone). A changed
--                      text is the next integer version; the newest is current.
--   policy_acknowledgements  who acknowledged which version, and when. They
--                      are evidence, like records: erasure keeps them under
--                      the person's pseudonym.
--   superseded_credentials  when erasure re-signs a record under the
--                      pseudonym, only the SHA-256 of the old credential is
--                      kept, so an old copy presented to verify is still
--                      recognised without the old name being stored.
-- users.erased_at: when the person's personal data was erased (their row
-- keeps the pseudonym); they are not reminded of anything any more.
ALTER TABLE users ADD COLUMN erased_at DATETIME;

CREATE TABLE policy_revisions (
    slug         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    departments  TEXT NOT NULL DEFAULT '[]',
    source       TEXT NOT NULL,
    html         TEXT NOT NULL,
    published_at DATETIME NOT NULL,
    published_by TEXT,
    PRIMARY KEY (slug, version)
);

CREATE TABLE policy_acknowledgements (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    acknowledged_at DATETIME NOT NULL,
    PRIMARY KEY (user_id, policy, version)
);
CREATE INDEX policy_acknowledgements_policy ON policy_acknowledgements (policy, version);

CREATE TABLE superseded_credentials (
    credential_sha256 TEXT PRIMARY KEY,
    record_id         TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    superseded_at     DATETIME NOT NULL
);
CREATE INDEX superseded_credentials_record ON superseded_credentials (record_id);

-- +goose Down
DROP TABLE superseded_credentials;
DROP TABLE policy_acknowledgements;
DROP TABLE policy_revisions;
ALTER TABLE users DROP COLUMN erased_at;
