-- +goose Up
-- Learning: what each person did with each module.
--
--   enrollments      one row per (user, module): the revision the learner is on
--   lesson_progress  one row per (user, module, lesson slug): time spent, when completed
--   attempts         every quiz attempt, with exactly the questions it showed
--   records          completion records (signed credentials); revocable, may expire
--   feedback         one rating and comment per (user, module), replaced on resubmit
--
-- A "cycle" is one certification round of a module for a user: 0 until the
-- first record, then the number of records issued so far (revoked and
-- expired ones included). Attempts count against max_attempts within their
-- cycle, and each cycle ends in at most one record.

CREATE TABLE enrollments (
    user_id     TEXT NOT NULL REFERENCES users (id),
    module      TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    enrolled_at TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, module)
);
CREATE INDEX enrollments_module ON enrollments (module, user_id);

-- Completion is kept by lesson slug, so it survives a new revision of the
-- module for every lesson whose slug still exists.
CREATE TABLE lesson_progress (
    user_id       TEXT NOT NULL REFERENCES users (id),
    module        TEXT NOT NULL,
    lesson        TEXT NOT NULL,
    seconds_spent BIGINT NOT NULL DEFAULT 0,
    completed_at  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, module, lesson)
);

-- questions holds what the attempt showed, including the per-attempt
-- choice ids and which of them are correct; it is never sent as stored.
-- pass_mark and reveal are the quiz's rules when it was drawn: grading
-- uses them and the questions, never a later revision.
CREATE TABLE attempts (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    module       TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    cycle        INTEGER NOT NULL,
    number       INTEGER NOT NULL,
    questions    TEXT NOT NULL,
    pass_mark    INTEGER NOT NULL,
    reveal       TEXT NOT NULL,
    answers      TEXT,
    started_at   TIMESTAMPTZ NOT NULL,
    submitted_at TIMESTAMPTZ,
    score        INTEGER,
    passed       BOOLEAN,
    -- Two requests racing for the same attempt number cannot both win, so
    -- max_attempts holds under concurrency.
    UNIQUE (user_id, module, cycle, number)
);
CREATE UNIQUE INDEX attempts_one_open ON attempts (user_id, module) WHERE submitted_at IS NULL;

CREATE TABLE records (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    module        TEXT NOT NULL,
    module_title  TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    cycle         INTEGER NOT NULL,
    attempt_id    TEXT,
    score         INTEGER,
    holder_name   TEXT NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    revoked_by    TEXT,
    revoke_reason TEXT NOT NULL DEFAULT '',
    credential    TEXT NOT NULL,
    -- One record per certification round: two requests completing the
    -- module at once cannot both issue one.
    UNIQUE (user_id, module, cycle)
);
CREATE INDEX records_user_module ON records (user_id, module, issued_at);
CREATE INDEX records_user_issued ON records (user_id, issued_at, id);
CREATE INDEX records_module ON records (module, issued_at);

CREATE TABLE feedback (
    user_id    TEXT NOT NULL REFERENCES users (id),
    module     TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, module)
);
CREATE INDEX feedback_module ON feedback (module, updated_at);

-- +goose Down
DROP TABLE feedback;
DROP TABLE records;
DROP TABLE attempts;
DROP TABLE lesson_progress;
DROP TABLE enrollments;
