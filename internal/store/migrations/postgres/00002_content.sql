-- +goose Up
-- A revision is immutable: its files are kept so it can be parsed again
-- (for learners still on it) or exported, and records point at it by
-- (slug, revision).
CREATE TABLE module_revisions (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by TEXT,
    -- Two processes publishing one slug at once cannot mint the same number.
    UNIQUE (slug, revision)
);

CREATE TABLE module_revision_files (
    revision_id TEXT NOT NULL REFERENCES module_revisions (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (revision_id, path)
);

-- The current revision of each module; prerequisites are copied here so a
-- publish can check the whole catalog without parsing every module.
CREATE TABLE modules (
    slug             TEXT PRIMARY KEY,
    current_revision INTEGER NOT NULL,
    content_hash     TEXT NOT NULL,
    prerequisites    TEXT NOT NULL DEFAULT '[]',
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (slug, current_revision) REFERENCES module_revisions (slug, revision)
);

-- +goose Down
DROP TABLE modules;
DROP TABLE module_revision_files;
DROP TABLE module_revisions;
