package identity

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// MaxImportRows bounds one CSV import.
const MaxImportRows = 100_000

// ImportResult counts what an import did. IgnoredColumns are the header's
// columns the import does not know, whose values were left alone.
type ImportResult struct {
	Created, Updated, Unchanged int
	IgnoredColumns              []string
	// Invited counts the created people invited by mail (ImportOptions).
	Invited int
}

// ImportOptions change what an import does besides writing the people.
type ImportOptions struct {
	// Invite queues an invitation for everyone the import creates whom the
	// actor may invite, in the import's transaction. It needs a mail relay.
	Invite bool
}

// importRow is one parsed data line.
type importRow struct {
	line                                int
	email, name, department, employeeID string
	roles                               Roles // nil when the file has no roles column
	// managerEmail is the line manager's email when the file has a
	// manager_email column (hasManager); empty clears the manager.
	managerEmail string
	hasManager   bool
	unchanged    bool // set by applyImport: the row changed nothing of an existing user
}

var importColumns = []string{"email", "name", "department", "employee_id"}

func normaliseColumn(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

func isImportColumn(h string) bool {
	return slices.Contains(importColumns, h) || h == "roles" || h == "manager_email"
}

// ImportCSV creates or updates users from an HR export: header row
// required (email,name,department,employee_id and optionally roles; other
// columns are ignored and listed in the result), separated by commas,
// semicolons or tabs, in the encodings decodeImport reads, quoted fields,
// CRLF or LF. It is all or nothing: every bad line is reported with its
// number (the header is line 1), the first MaxImportProblems of them, and
// nothing changes. Changes to existing people follow the rules of
// UpdateUser (mayPatch) and are audited as it audits them.
func (s *Service) ImportCSV(ctx context.Context, actor Principal, r io.Reader) (ImportResult, error) {
	return s.ImportCSVWith(ctx, actor, r, ImportOptions{})
}

// ImportCSVWith is ImportCSV with options. Asking to invite without a mail
// relay is refused before anything is read.
func (s *Service) ImportCSVWith(ctx context.Context, actor Principal, r io.Reader, opt ImportOptions) (ImportResult, error) {
	if opt.Invite && !s.Mail.Enabled {
		return ImportResult{}, fault.Typed(fault.Conflict, "mail-not-configured",
			"inviting on import needs a mail relay (UPSKILL_SMTP_URL); import without invite=true and invite people one by one to get their links")
	}
	parsed, probs, err := parseImport(r, actor.IsAdmin())
	if err != nil {
		return ImportResult{}, err
	}
	rows := parsed.rows
	res := ImportResult{IgnoredColumns: parsed.ignored}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		// The rows are checked against the users as this transaction reads
		// them, so nothing can change between checking a line and applying
		// it: HR cannot update someone an admin has just promoted.
		existing, err := loadByEmail(tx, rows)
		if err != nil {
			return err
		}
		owners, err := employeeOwners(tx, rows)
		if err != nil {
			return err
		}
		if err := s.canonicaliseImport(tx, rows); err != nil {
			return err
		}
		probs.add(checkAgainstDatabase(rows, existing, owners, actor)...)
		if probs.total > 0 {
			slices.SortStableFunc(probs.list, func(a, b fault.FieldError) int { return a.Line - b.Line })
			return probs.failure()
		}
		counts, err := s.applyImport(ctx, tx, actor, rows, existing, opt)
		if err != nil {
			return err
		}
		if err := applyManagers(tx, rows, existing, &counts); err != nil {
			return err
		}
		res.Created, res.Updated, res.Unchanged, res.Invited = counts.Created, counts.Updated, counts.Unchanged, counts.Invited
		return audit.Record(ctx, tx, actor.UserID, audit.UsersImported, "users",
			map[string]any{"rows": len(rows), "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged,
				"ignored_columns": res.IgnoredColumns, "encoding": parsed.encoding, "invited": res.Invited})
	})
	if store.IsUniqueViolation(err) {
		// Only another writer creating the same people at this moment
		// (PostgreSQL) gets here: nothing was imported.
		return ImportResult{}, &fault.Error{Code: fault.Conflict, Err: err,
			Message: "some of these users were created or changed by someone else at the same moment; nothing was imported, try again"}
	}
	if err != nil {
		return ImportResult{}, fault.Ensure(err, "could not import users")
	}
	if res.Invited > 0 {
		s.wake()
	}
	return res, nil
}

func lineErr(line int, format string, args ...any) fault.FieldError {
	return fault.FieldError{Line: line, Message: fmt.Sprintf(format, args...)}
}

// parsedImport is what the file holds, read on its own.
type parsedImport struct {
	rows     []importRow
	ignored  []string
	encoding string
}

// parseImport reads and checks the file on its own, without the database.
// A file that cannot be read at all (too large) is an error; everything
// else wrong with it is a problem on a line.
func parseImport(r io.Reader, admin bool) (parsedImport, *problems, error) {
	var out parsedImport
	probs := &problems{}
	decoded, encoding, err := decodeImport(r)
	if err != nil {
		return out, probs, err
	}
	out.encoding = encoding
	cr, _, err := importReader(decoded)
	if err != nil {
		probs.add(csvErr(err))
		return out, probs, nil
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		probs.addf(1, "the file is empty; a header row is required")
		return out, probs, nil
	}
	if err != nil {
		probs.add(csvErr(err))
		return out, probs, nil
	}
	col, ignored := headerIndex(header, probs)
	out.ignored = ignored
	if probs.total > 0 {
		return out, probs, nil
	}
	dataLines := 0
	seenEmail, seenEmp := map[string]int{}, map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			probs.add(csvErr(err))
			var pe *csv.ParseError
			if !errors.As(err, &pe) || !errors.Is(pe.Err, csv.ErrFieldCount) {
				break // after a quoting error or a line over the bounds the rest cannot be trusted
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if dataLines++; dataLines > MaxImportRows {
			return out, &problems{list: []fault.FieldError{lineErr(line, "the file has more than %d rows; split it", MaxImportRows)}, total: 1}, nil
		}
		row, rowErrs := parseRow(rec, col, line, admin)
		probs.add(rowErrs...)
		if first, dup := seenEmail[row.email]; dup && row.email != "" {
			probs.addf(line, "email %s appears twice in the file (first on line %d)", row.email, first)
		} else {
			seenEmail[row.email] = line
		}
		if first, dup := seenEmp[row.employeeID]; dup && row.employeeID != "" {
			probs.addf(line, "employee id %s appears twice in the file (first on line %d)", row.employeeID, first)
		} else if row.employeeID != "" {
			seenEmp[row.employeeID] = line
		}
		if len(rowErrs) == 0 {
			out.rows = append(out.rows, row) // only well-formed rows are looked up
		}
	}
	return out, probs, nil
}

func csvErr(err error) fault.FieldError {
	var le *limitError
	if errors.As(err, &le) {
		return lineErr(le.line, "%s", le.msg)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return lineErr(pe.StartLine, "wrong number of fields: every line needs one per header column")
		}
		return lineErr(pe.StartLine, "malformed CSV: %v", pe.Err)
	}
	return lineErr(0, "malformed CSV: %v", err)
}

// headerIndex maps column names to positions, reports missing or repeated
// columns on line 1, and returns the unknown ones, which are ignored.
// Empty header cells (a trailing separator) are ignored silently.
func headerIndex(header []string, probs *problems) (map[string]int, []string) {
	col := map[string]int{}
	ignored := []string{}
	for i, raw := range header {
		h := normaliseColumn(raw)
		_, dup := col[h]
		switch {
		case h == "":
		case !isImportColumn(h):
			ignored = append(ignored, strings.TrimSpace(raw))
		case dup:
			probs.addf(1, "column %q appears twice", h)
		default:
			col[h] = i + 1 // 1-based so that 0 means absent
		}
	}
	for _, want := range importColumns {
		if col[want] == 0 {
			probs.addf(1, "missing column %q (the header needs email, name, department, employee_id and optionally roles and manager_email)", want)
		}
	}
	return col, ignored
}

func parseRow(rec []string, col map[string]int, line int, admin bool) (importRow, []fault.FieldError) {
	get := func(name string) string {
		if i := col[name]; i > 0 && i <= len(rec) {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	row := importRow{line: line, email: NormaliseEmail(get("email")), name: get("name"),
		department: get("department"), employeeID: get("employee_id")}
	var errs []fault.FieldError
	if err := checkImportedEmail(get("email")); err != nil {
		errs = append(errs, lineErr(line, "%v", err))
	} else if err := validateProfile(row.email, row.name, row.department, row.employeeID); err != nil {
		errs = append(errs, lineErr(line, "%s", fault.As(err).Message))
	}
	if col["roles"] > 0 {
		raw := strings.FieldsFunc(get("roles"), func(r rune) bool { return r == ';' || r == '|' || r == ' ' || r == ',' })
		if len(raw) == 0 {
			raw = []string{RoleLearner}
		}
		roles, err := checkRoles(raw)
		switch {
		case err != nil:
			errs = append(errs, lineErr(line, "%v", err))
		case !admin && !roles.OnlyLearner():
			errs = append(errs, lineErr(line, "only an admin may import roles other than learner"))
		}
		row.roles = roles
	}
	if col["manager_email"] > 0 {
		row.hasManager = true
		if raw := get("manager_email"); raw != "" {
			if err := checkImportedEmail(raw); err != nil {
				errs = append(errs, lineErr(line, "manager_email: %v", err))
			}
			row.managerEmail = NormaliseEmail(raw)
		}
	}
	return row, errs
}

// checkImportedEmail refuses, after decoding, an email that is not valid
// UTF-8 or holds a control, format (bidi, zero-width) or replacement
// character: such an address is a decoding accident or a trick, and
// NormaliseEmail would otherwise rewrite the bytes silently.
func checkImportedEmail(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("email is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return fmt.Errorf("email %q holds a control or invisible character (U+%04X)", s, r)
		}
	}
	return nil
}

// checkAgainstDatabase finds employee ids owned by other users, and
// changes to existing users that UpdateUser would refuse this actor (HR
// editing staff, an admin dropping their own admin role).
func checkAgainstDatabase(rows []importRow, existing map[string]User, owners map[string]string, actor Principal) []fault.FieldError {
	var errs []fault.FieldError
	for _, r := range rows {
		if owner, ok := owners[r.employeeID]; ok && owner != r.email {
			errs = append(errs, lineErr(r.line, "employee id %s belongs to another user (%s)", r.employeeID, owner))
		}
		if u, ok := existing[r.email]; ok {
			if err := mayPatch(actor, u, importPatch(r, u)); err != nil {
				errs = append(errs, lineErr(r.line, "%s: %s", r.email, fault.As(err).Message))
			}
		}
	}
	return errs
}

// importPatch is the change a row makes to an existing user, in the terms
// of UpdateUser: roles only when the file changes them.
func importPatch(r importRow, u User) UserPatch {
	p := UserPatch{Name: &r.name, Department: &r.department, EmployeeID: &r.employeeID}
	if r.roles != nil && !u.Roles.Equal(r.roles) {
		roles := []string(r.roles)
		p.Roles = &roles
	}
	return p
}

// canonicaliseImport gives every row its department's canonical spelling.
func (s *Service) canonicaliseImport(tx *gorm.DB, rows []importRow) error {
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		names = append(names, r.department)
	}
	canon, err := CanonicalDepartments(tx, s.now(), names)
	if err != nil {
		return err
	}
	for i := range rows {
		if c, ok := canon[rows[i].department]; ok {
			rows[i].department = c
		}
	}
	return nil
}

const lookupChunk = 500

// loadByEmail reads, and on PostgreSQL locks, the users the rows name.
func loadByEmail(tx *gorm.DB, rows []importRow) (map[string]User, error) {
	out := make(map[string]User, len(rows))
	for i := 0; i < len(rows); i += lookupChunk {
		var emails []string
		for _, r := range rows[i:min(i+lookupChunk, len(rows))] {
			emails = append(emails, r.email)
		}
		var users []User
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("email IN ?", emails).Find(&users).Error; err != nil {
			return nil, err
		}
		for _, u := range users {
			out[u.Email] = u
		}
	}
	return out, nil
}

func employeeOwners(tx *gorm.DB, rows []importRow) (map[string]string, error) {
	out := map[string]string{}
	var ids []string
	for _, r := range rows {
		if r.employeeID != "" {
			ids = append(ids, r.employeeID)
		}
	}
	for i := 0; i < len(ids); i += lookupChunk {
		var found []User
		if err := tx.Select("email", "employee_id").
			Where("employee_id IN ?", ids[i:min(i+lookupChunk, len(ids))]).Find(&found).Error; err != nil {
			return nil, err
		}
		for _, u := range found {
			out[*u.EmployeeID] = u.Email
		}
	}
	return out, nil
}

// applyImport writes the rows inside tx; existing are the users among them
// as tx read them. Each change to an existing user is audited as
// UpdateUser audits it, and each user created with more than the learner
// role as CreateUser does; the rest is in the import's own event.
func (s *Service) applyImport(ctx context.Context, tx *gorm.DB, actor Principal, rows []importRow, existing map[string]User, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	now := s.now()
	var fresh []User
	var moved []string
	for i, r := range rows {
		u, ok := existing[r.email]
		if !ok {
			fresh = append(fresh, newImportedUser(r, now))
			continue
		}
		after := u
		if err := applyPatch(&after, importPatch(r, u)); err != nil {
			return res, err
		}
		changed := u.Name != after.Name || u.Department != after.Department ||
			deref(u.EmployeeID) != deref(after.EmployeeID) || !u.Roles.Equal(after.Roles)
		if !changed {
			res.Unchanged++
			rows[i].unchanged = true
			continue
		}
		upd := map[string]any{"name": after.Name, "department": after.Department, "employee_id": after.EmployeeID,
			"roles": after.Roles, "updated_at": now}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(upd).Error; err != nil {
			return res, err
		}
		if err := s.auditUpdate(ctx, tx, actor, u, after, false); err != nil {
			return res, err
		}
		if u.Department != after.Department {
			moved = append(moved, u.ID)
		}
		res.Updated++
	}
	if len(fresh) > 0 {
		if err := tx.CreateInBatches(fresh, 500).Error; err != nil {
			return res, err
		}
		for _, u := range fresh {
			moved = append(moved, u.ID)
			if !u.Roles.OnlyLearner() {
				if err := auditCreated(ctx, tx, actor, u); err != nil {
					return res, err
				}
			}
			if opt.Invite && mayInvite(actor, u) == nil && s.Passwords.Allows(u) {
				if _, err := s.enqueueMail(tx, PurposeInvitation, u.ID); err != nil {
					return res, err
				}
				res.Invited++
			}
		}
	}
	res.Created = len(fresh)
	return res, s.membershipChanged(ctx, tx, moved)
}

func newImportedUser(r importRow, now time.Time) User {
	roles := r.roles
	if roles == nil {
		roles = Roles{RoleLearner}
	}
	u := User{ID: uuid.NewString(), Email: r.email, Name: r.name, Department: r.department,
		Roles: roles, CreatedAt: now, UpdatedAt: now}
	if r.employeeID != "" {
		emp := r.employeeID
		u.EmployeeID = &emp
	}
	return u
}

// applyManagers sets, inside tx and after every row is written, the line
// manager of each row whose file has a manager_email column: the user
// with that email, in the file or already stored; an empty cell clears
// it. A manager who is no user, the person themself, or a loop in the
// reporting line is a problem on the row's line, and nothing is imported.
// A row that changed only its manager counts as updated.
func applyManagers(tx *gorm.DB, rows []importRow, existing map[string]User, res *ImportResult) error {
	var emails []string
	for _, r := range rows {
		if r.hasManager {
			emails = append(emails, r.email)
			if r.managerEmail != "" {
				emails = append(emails, r.managerEmail)
			}
		}
	}
	if len(emails) == 0 {
		return nil
	}
	ids := map[string]string{}
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(emails))), lookupChunk) {
		var found []User
		if err := tx.Select("id", "email").Where("email IN ?", chunk).Find(&found).Error; err != nil {
			return err
		}
		for _, u := range found {
			ids[u.Email] = u.ID
		}
	}
	probs := &problems{}
	for i := range rows {
		r := &rows[i]
		if !r.hasManager {
			continue
		}
		var mgr *string
		if r.managerEmail != "" {
			id, ok := ids[r.managerEmail]
			if !ok {
				probs.addf(r.line, "manager_email %s is no user here or in the file", r.managerEmail)
				continue
			}
			mgr = &id
		}
		uid := ids[r.email]
		if old, ok := existing[r.email]; ok && deref(old.ManagerID) == deref(mgr) {
			continue
		}
		if err := checkManager(tx, uid, mgr); err != nil {
			probs.addf(r.line, "manager_email %s: %s", r.managerEmail, fault.As(err).Message)
			continue
		}
		if err := tx.Model(&User{}).Where("id = ?", uid).Update("manager_id", mgr).Error; err != nil {
			return err
		}
		if r.unchanged {
			r.unchanged = false
			res.Unchanged--
			res.Updated++
		}
	}
	if probs.total > 0 {
		return probs.failure()
	}
	return nil
}
