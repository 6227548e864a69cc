-- +goose Up
-- One canonical spelling per department: departments are matched without
-- regard to case, and the first spelling stored is the one every user and
-- standing rule of that department carries (identity.CanonicalDepartments).
--
--   departments  key: the lower-case name compared on; name: the spelling kept
CREATE TABLE departments (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
INSERT OR IGNORE INTO departments (key, name, created_at)
SELECT lower(department), department, MIN(created_at) FROM (
    SELECT department, created_at FROM users WHERE department <> ''
    UNION ALL
    SELECT department, created_at FROM assignment_rules
) GROUP BY department ORDER BY MIN(created_at), department;
UPDATE users SET department = (SELECT d.name FROM departments d WHERE d.key = lower(users.department))
WHERE department <> '';
-- Rules spelt two ways for one module become one: the oldest stays.
DELETE FROM assignment_rules WHERE EXISTS (
    SELECT 1 FROM assignment_rules o WHERE lower(o.department) = lower(assignment_rules.department)
    AND o.module = assignment_rules.module AND (o.created_at, o.id) < (assignment_rules.created_at, assignment_rules.id));
UPDATE assignment_rules SET department = (SELECT d.name FROM departments d WHERE d.key = lower(assignment_rules.department));

-- The completions report reads people in spreadsheet order.
CREATE INDEX users_report_order ON users (lower(department), lower(name), id);

-- +goose Down
DROP INDEX users_report_order;
DROP TABLE departments;
