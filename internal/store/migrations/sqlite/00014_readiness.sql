-- +goose Up
-- Readiness, paths and teams (issue 16).
--
--   content_docs   learning paths (content/paths/<slug>.md) and readiness
--                  pulses (content/pulses/<slug>.md): every publish of a
--                  changed file is a new revision, kept with its source; the
--                  highest revision of a (kind, slug) is the current one
--   pulse_answers  one row per (person, pulse, phase, statement): the value
--                  1-5 they chose. Kept apart from the identity tables and
--                  keyed by user_id, so a person's answers can be exported
--                  or erased by their id; reports read them only in
--                  aggregate (see internal/readiness)
--
-- Records gain kind ('module' or 'path') and path. A path record stores
-- the path's slug in module (slugs of modules and paths share one
-- namespace, so (user_id, module, cycle) keeps one record per round for
-- paths too), with revision 0 and an empty content_hash; the API shows
-- module, revision and content_hash as null for it.
--
-- Assignments and standing rules gain path: a path assignment is expanded
-- into module assignments tagged with the path's slug (NULL: assigned
-- directly).
CREATE TABLE content_docs (
    kind         TEXT NOT NULL CHECK (kind IN ('path', 'pulse')),
    slug         TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    source       TEXT NOT NULL,
    published_at DATETIME NOT NULL,
    published_by TEXT,
    PRIMARY KEY (kind, slug, revision)
);

CREATE TABLE pulse_answers (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pulse       TEXT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('before', 'after')),
    item        TEXT NOT NULL,
    value       INTEGER NOT NULL CHECK (value BETWEEN 1 AND 5),
    revision    INTEGER NOT NULL,
    answered_at DATETIME NOT NULL,
    PRIMARY KEY (user_id, pulse, phase, item)
);
CREATE INDEX pulse_answers_pulse ON pulse_answers (pulse, phase, user_id);

ALTER TABLE records ADD COLUMN kind TEXT NOT NULL DEFAULT 'module';
ALTER TABLE records ADD COLUMN path TEXT;
ALTER TABLE assignments ADD COLUMN path TEXT;
ALTER TABLE assignment_rules ADD COLUMN path TEXT;

-- +goose Down
ALTER TABLE assignment_rules DROP COLUMN path;
ALTER TABLE assignments DROP COLUMN path;
ALTER TABLE records DROP COLUMN path;
ALTER TABLE records DROP COLUMN kind;
DROP TABLE pulse_answers;
DROP TABLE content_docs;
