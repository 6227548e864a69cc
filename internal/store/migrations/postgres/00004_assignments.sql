-- +goose Up
-- Assignments: which modules HR asked whom to complete, and by when.
--
--   assignment_rules  standing rules: whoever joins department later (created,
--                     imported or moved there) is assigned module, due
--                     due_in_days after that day
--   assignments       one row per (user, module): the due date, who assigned it
--                     (NULL when a standing rule did), the grace period after
--                     an expired record, and the rule that made it, if any
--
-- Status, overdue and recertification are computed when read (see
-- internal/assignments/status.go), never stored, so they cannot go stale.

CREATE TABLE assignment_rules (
    id          TEXT PRIMARY KEY,
    department  TEXT NOT NULL,
    module      TEXT NOT NULL,
    due_in_days INTEGER NOT NULL,
    grace_days  INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT,
    UNIQUE (department, module)
);

CREATE TABLE assignments (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    module      TEXT NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    assigned_by TEXT,
    grace_days  INTEGER NOT NULL DEFAULT 0,
    rule_id     TEXT REFERENCES assignment_rules (id) ON DELETE SET NULL,
    UNIQUE (user_id, module)
);
-- The completions report and GET /assignments?module= walk a module's assignees.
CREATE INDEX assignments_module ON assignments (module, user_id);
CREATE INDEX assignments_rule ON assignments (rule_id);

-- +goose Down
DROP TABLE assignments;
DROP TABLE assignment_rules;
