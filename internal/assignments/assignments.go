// Package assignments owns what HR asks people to learn: assignments of a
// module to users and whole departments with a due date, the standing
// rules that assign newcomers to a department, recertification after a
// record expires, and the one definition of status and overdue (Assess)
// that every route and report uses.
package assignments

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
)

// Limits of one request.
const (
	MaxUserIDs     = 10_000
	MaxDepartments = 1_000
	MaxDays        = 3650 // for due_in_days and grace_days: ten years
)

// batch bounds the ids in one IN (...) list, well under SQLite's limit of
// bound parameters.
const batch = 500

// Assignment is one stored row.
type Assignment struct {
	ID         string
	UserID     string
	Module     string
	DueAt      time.Time
	AssignedAt time.Time
	AssignedBy *string
	GraceDays  int
	RuleID     *string
	// Path is the learning path this assignment came from; nil when the
	// module was assigned directly.
	Path *string
}

// TableName is the assignments table.
func (Assignment) TableName() string { return "assignments" }

// Rule is a standing rule: newcomers to Department are assigned Module.
type Rule struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Module     string    `json:"module"`
	DueInDays  int       `json:"due_in_days"`
	GraceDays  int       `json:"grace_days"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  *string   `json:"created_by"`
	Path       *string   `json:"path"`
}

// TableName is the assignment_rules table.
func (Rule) TableName() string { return "assignment_rules" }

// Options configure a Service.
type Options struct {
	// Catalog names the published modules; only ApplyRules works without.
	Catalog Catalog
	Now     func() time.Time // nil: time.Now; due dates and status depend on it
	Log     *slog.Logger
}

// Service is the assignments domain. Its methods are safe for concurrent use.
type Service struct {
	db      *store.DB
	catalog Catalog
	now     func() time.Time
	log     *slog.Logger
	// Events receives assignment.created inside the transaction that
	// assigns; nil drops it.
	Events events.Sink
}

// New returns the assignments service over db.
func New(db *store.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{db: db, catalog: opt.Catalog, now: opt.Now, log: opt.Log}
}

// clock is the current time as stored.
func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// Request assigns Module to UserIDs and to every enabled member of
// Departments.
type Request struct {
	Module string
	// Path, in place of Module, assigns every module of a learning path,
	// each assignment tagged with the path.
	Path        string
	UserIDs     []string
	Departments []string
	// DueAt is required unless DueInDays is given, in which case it
	// defaults to now + DueInDays.
	DueAt *time.Time
	// IncludeNewMembers makes a standing rule per department: people who
	// join it later are assigned the module, due DueInDays after joining.
	IncludeNewMembers bool
	DueInDays         *int
	// GraceDays is added to a record's expiry before the module is due
	// again; nil leaves an existing assignment's grace period as it is.
	GraceDays *int
	// pathModule is the module of Path this request stands for, once
	// expanded (see expandPath).
	pathModule string
	// AllowPastDue accepts a DueAt already past (recording a deadline that
	// was missed); without it such a date is refused as a likely typo.
	AllowPastDue bool
}

// Result counts what Assign did.
type Result struct {
	Assigned        int // new assignments
	AlreadyAssigned int // existing ones, whose due date was updated
	// BlockedByPrerequisites is how many of the people assigned cannot
	// start the module yet: they lack a valid record for one of its
	// prerequisites.
	BlockedByPrerequisites int
}

func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return fault.InvalidFields(field+": "+msg, fault.FieldError{Field: field, Message: msg})
}

// check validates r and returns it normalised, with the due date set.
func (s *Service) check(r Request, now time.Time) (Request, error) {
	r.Module = strings.TrimSpace(r.Module)
	if r.Path != "" {
		if r.Module != "" {
			return r, invalid("path", "give module or path, not both")
		}
		r.Module = r.pathModule // checked like any module
	}
	if r.Module == "" {
		return r, invalid("module", "is required")
	}
	if info, ok := s.catalog.Modules()[r.Module]; !ok {
		return r, invalid("module", "no published module %q", r.Module)
	} else if info.Archived {
		return r, invalid("module", "module %q is archived; unarchive it before assigning it", r.Module)
	}
	r.UserIDs = dedupe(r.UserIDs)
	if slices.Contains(r.UserIDs, "") {
		return r, invalid("user_ids", "must not contain empty ids")
	}
	if len(r.UserIDs) > MaxUserIDs {
		return r, invalid("user_ids", "at most %d users per request; assign whole departments instead", MaxUserIDs)
	}
	for i := range r.Departments {
		r.Departments[i] = strings.TrimSpace(r.Departments[i])
	}
	r.Departments = dedupe(r.Departments)
	if slices.Contains(r.Departments, "") {
		return r, invalid("departments", "must not contain empty names")
	}
	// No one can be in a longer one, and a standing rule could not store
	// it (PostgreSQL bounds a unique index's keys).
	if i := slices.IndexFunc(r.Departments, func(d string) bool { return utf8.RuneCountInString(d) > identity.MaxDepartment }); i >= 0 {
		return r, invalid("departments", "%q… is longer than %d characters, which no department is",
			string([]rune(r.Departments[i])[:20]), identity.MaxDepartment)
	}
	if len(r.Departments) > MaxDepartments {
		return r, invalid("departments", "at most %d departments per request", MaxDepartments)
	}
	if len(r.UserIDs) == 0 && len(r.Departments) == 0 {
		return r, invalid("user_ids", "give user_ids, departments or both")
	}
	if r.DueInDays != nil && (*r.DueInDays < 1 || *r.DueInDays > MaxDays) {
		return r, invalid("due_in_days", "must be a whole number of days from 1 to %d", MaxDays)
	}
	if r.GraceDays != nil && (*r.GraceDays < 0 || *r.GraceDays > MaxDays) {
		return r, invalid("grace_days", "must be a whole number of days from 0 to %d", MaxDays)
	}
	if r.IncludeNewMembers {
		if len(r.Departments) == 0 {
			return r, invalid("departments", "include_new_members needs at least one department")
		}
		if r.DueInDays == nil {
			return r, invalid("due_in_days", "include_new_members needs due_in_days: newcomers are due that many days after they join")
		}
	}
	if r.DueAt == nil {
		if r.DueInDays == nil {
			return r, invalid("due_at", "is required (or give due_in_days)")
		}
		due := now.AddDate(0, 0, *r.DueInDays)
		r.DueAt = &due
	}
	due := store.Timestamp(*r.DueAt)
	r.DueAt = &due
	if due.Before(now) && !r.AllowPastDue {
		return r, invalid("due_at", "%s is in the past; set allow_past_due to assign with a date already past",
			due.Format(time.RFC3339))
	}
	return r, nil
}

// dedupe drops repeats, keeping the first occurrence's order.
func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// writeRetries bounds how often Assign runs again after losing a race on
// the (user, module) or (department, module) unique constraint to another
// request (see store.DB.TxRetrying).
const writeRetries = 5

// Assign assigns r.Module. It is idempotent: a user already assigned the
// module counts as already assigned and gets the new due date. An unknown
// module or user id answers 422 and assigns nothing.
func (s *Service) Assign(ctx context.Context, actor string, r Request) (Result, error) {
	now := s.clock()
	reqs, err := s.expandPath(ctx, r)
	if err != nil {
		return Result{}, err
	}
	for i := range reqs {
		if reqs[i], err = s.check(reqs[i], now); err != nil {
			return Result{}, err
		}
	}
	var res Result
	err = s.db.TxRetrying(ctx, writeRetries, func(tx *gorm.DB) (err error) {
		res = Result{}
		for _, r := range reqs {
			one, err := s.assign(ctx, tx, actor, r, now)
			if err != nil {
				return err
			}
			res.Assigned += one.Assigned
			res.AlreadyAssigned += one.AlreadyAssigned
			res.BlockedByPrerequisites += one.BlockedByPrerequisites
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return Result{}, &fault.Error{Code: fault.Conflict, Message: "others are assigning the same people right now; try again", Err: err}
	}
	if err != nil {
		return Result{}, fault.Ensure(err, "could not save the assignments")
	}
	return res, nil
}

func (s *Service) assign(ctx context.Context, tx *gorm.DB, actor string, r Request, now time.Time) (Result, error) {
	tx = tx.WithContext(ctx)
	r, err := resolveDepartments(tx, r, now)
	if err != nil {
		return Result{}, err
	}
	targets, err := assignees(tx, r)
	if err != nil {
		return Result{}, err
	}
	var by *string
	if actor != "" {
		by = &actor
	}
	grace := 0
	if r.GraceDays != nil {
		grace = *r.GraceDays
	}
	res, err := writeAssignments(tx, s.Events, r, targets, by, grace, now)
	if err != nil {
		return res, err
	}
	if res.BlockedByPrerequisites, err = blockedByPrerequisites(tx, s.catalog.Modules()[r.Module].Prerequisites, targets, now); err != nil {
		return res, err
	}
	var ruleIDs []string
	if r.IncludeNewMembers {
		for _, d := range r.Departments {
			id, err := upsertRule(tx, Rule{Department: d, Module: r.Module, DueInDays: *r.DueInDays,
				GraceDays: grace, CreatedAt: now, CreatedBy: by, Path: optPath(r.Path)}, r.GraceDays != nil)
			if err != nil {
				return res, err
			}
			ruleIDs = append(ruleIDs, id)
		}
	}
	return res, audit.Record(ctx, tx, actor, audit.AssignmentMade, r.Module, assignDetails(r, res, ruleIDs))
}

// assignees are the users r names, which must all exist, and the enabled
// members of its departments, without repeats.
func assignees(tx *gorm.DB, r Request) ([]string, error) {
	if err := checkUsersExist(tx, r.UserIDs); err != nil {
		return nil, err
	}
	targets := slices.Clone(r.UserIDs)
	if len(r.Departments) > 0 {
		var members []string
		if err := tx.Table("users").Where("department IN ? AND disabled = ?", r.Departments, false).
			Order("id").Pluck("id", &members).Error; err != nil {
			return nil, err
		}
		targets = dedupe(append(targets, members...))
	}
	return targets, nil
}

// writeAssignments gives the targets already assigned r.Module the new due
// date (and grace period, when r sets one) and assigns the others.
func writeAssignments(tx *gorm.DB, sink events.Sink, r Request, targets []string, by *string, grace int, now time.Time) (Result, error) {
	existing, err := assignedAmong(tx, r.Module, targets)
	if err != nil {
		return Result{}, err
	}
	res := Result{AlreadyAssigned: len(existing)}
	upd := map[string]any{"due_at": *r.DueAt}
	if r.GraceDays != nil {
		upd["grace_days"] = *r.GraceDays
	}
	for ids := range slices.Chunk(existing, batch) {
		if err := tx.Model(&Assignment{}).Where("module = ? AND user_id IN ?", r.Module, ids).Updates(upd).Error; err != nil {
			return res, err
		}
	}
	have := make(map[string]bool, len(existing))
	for _, id := range existing {
		have[id] = true
	}
	var fresh []Assignment
	for _, id := range targets {
		if !have[id] {
			fresh = append(fresh, Assignment{ID: newID(), UserID: id, Module: r.Module, DueAt: *r.DueAt,
				AssignedAt: now, AssignedBy: by, GraceDays: grace, Path: optPath(r.Path)})
		}
	}
	if len(fresh) > 0 {
		if err := tx.CreateInBatches(fresh, batch).Error; err != nil {
			return res, err
		}
	}
	for _, a := range fresh {
		if err := sink.Emit(tx, events.Event{Type: events.AssignmentCreated, UserID: a.UserID, At: now,
			Data: map[string]any{"assignment_id": a.ID, "user_id": a.UserID, "module": a.Module,
				"due_at": a.DueAt.UTC(), "assigned_at": now.UTC()}}); err != nil {
			return res, err
		}
	}
	res.Assigned = len(fresh)
	return res, nil
}

// assignDetails are the audit details of one Assign.
func assignDetails(r Request, res Result, ruleIDs []string) map[string]any {
	details := map[string]any{"module": r.Module, "path": r.Path, "due_at": r.DueAt.Format(time.RFC3339),
		"users": len(r.UserIDs), "departments": r.Departments, "assigned": res.Assigned,
		"already_assigned": res.AlreadyAssigned, "blocked_by_prerequisites": res.BlockedByPrerequisites}
	if r.GraceDays != nil {
		details["grace_days"] = *r.GraceDays
	}
	if r.IncludeNewMembers {
		details["include_new_members"] = true
		details["due_in_days"] = *r.DueInDays
		details["rule_ids"] = ruleIDs
	}
	return details
}

// newID returns a time-ordered UUID (v7), so listing by id lists
// assignments in the order they were made.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// checkUsersExist answers 422 naming every id that is not a user.
func checkUsersExist(tx *gorm.DB, ids []string) error {
	found := make(map[string]bool, len(ids))
	for chunk := range slices.Chunk(ids, batch) {
		var got []string
		if err := tx.Table("users").Where("id IN ?", chunk).Pluck("id", &got).Error; err != nil {
			return err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	shown := missing[:min(len(missing), 20)]
	msg := fmt.Sprintf("%d unknown user id(s): %s", len(missing), strings.Join(shown, ", "))
	if len(shown) < len(missing) {
		msg += ", …"
	}
	return invalid("user_ids", "%s", msg)
}

// assignedAmong returns those of ids already assigned module.
func assignedAmong(tx *gorm.DB, module string, ids []string) ([]string, error) {
	var out []string
	for chunk := range slices.Chunk(ids, batch) {
		var got []string
		if err := tx.Model(&Assignment{}).Where("module = ? AND user_id IN ?", module, chunk).
			Pluck("user_id", &got).Error; err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// upsertRule creates the rule for (department, module) or updates its
// terms, and returns its id.
func upsertRule(tx *gorm.DB, r Rule, setGrace bool) (string, error) {
	var cur Rule
	err := tx.Where("department = ? AND module = ?", r.Department, r.Module).Take(&cur).Error
	if store.IsNotFound(err) {
		r.ID = newID()
		return r.ID, tx.Create(&r).Error
	}
	if err != nil {
		return "", err
	}
	upd := map[string]any{"due_in_days": r.DueInDays}
	if setGrace {
		upd["grace_days"] = r.GraceDays
	}
	return cur.ID, tx.Model(&Rule{}).Where("id = ?", cur.ID).Updates(upd).Error
}

// Delete removes one assignment. The learner's progress and records stay.
func (s *Service) Delete(ctx context.Context, actor, id string) error {
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var a Assignment
		err := tx.Where("id = ?", id).Take(&a).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no assignment %q", id)
		}
		if err != nil {
			return err
		}
		if err := tx.Where("id = ?", id).Delete(&Assignment{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.AssignmentDelete, id,
			map[string]any{"user_id": a.UserID, "module": a.Module})
	})
	return fault.Ensure(err, "could not delete the assignment")
}
