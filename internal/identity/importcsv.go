package identity

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// MaxImportRows bounds one CSV import.
const MaxImportRows = 100_000

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
}

// importRow is one parsed data line.
type importRow struct {
	line                                int
	email, name, department, employeeID string
	roles                               Roles // nil when the file has no roles column
}

var importColumns = []string{"email", "name", "department", "employee_id"}

// ImportCSV creates or updates users from an HR export: header row
// required (email,name,department,employee_id and optionally roles), UTF-8
// with or without BOM, quoted fields, CRLF or LF. It is all or nothing:
// every bad line is reported with its number (the header is line 1) and
// nothing changes.
func (s *Service) ImportCSV(ctx context.Context, actor Principal, r io.Reader) (ImportResult, error) {
	rows, errs := parseImport(r, actor.IsAdmin())
	var res ImportResult
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
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
		errs = append(errs, checkAgainstDatabase(rows, existing, owners, actor)...)
		if len(errs) > 0 {
			slices.SortStableFunc(errs, func(a, b fault.FieldError) int { return a.Line - b.Line })
			return importFailure(errs)
		}
		res, err = s.applyImport(ctx, tx, rows, existing)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, audit.UsersImported, "users",
			map[string]any{"rows": len(rows), "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged})
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
	return res, nil
}

func importFailure(errs []fault.FieldError) error {
	msg := "the file has 1 problem; nothing was imported"
	if len(errs) > 1 {
		msg = fmt.Sprintf("the file has %d problems; nothing was imported", len(errs))
	}
	if len(errs) > 1000 {
		errs = errs[:1000]
	}
	return &fault.Error{Code: fault.Invalid, Message: msg, Fields: errs}
}

func lineErr(line int, format string, args ...any) fault.FieldError {
	return fault.FieldError{Line: line, Message: fmt.Sprintf(format, args...)}
}

// parseImport reads and checks the file on its own, without the database.
func parseImport(r io.Reader, admin bool) ([]importRow, []fault.FieldError) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []fault.FieldError{lineErr(0, "could not read the file: %v", err)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 0 // every line must match the header
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []fault.FieldError{lineErr(1, "the file is empty; a header row is required")}
	}
	if err != nil {
		return nil, []fault.FieldError{csvErr(err)}
	}
	col, errs := headerIndex(header)
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []importRow
	dataLines := 0
	seenEmail, seenEmp := map[string]int{}, map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvErr(err))
			var pe *csv.ParseError
			if len(errs) > 1000 || !errors.As(err, &pe) || !errors.Is(pe.Err, csv.ErrFieldCount) {
				break // after a quoting error the rest of the file cannot be trusted
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if dataLines++; dataLines > MaxImportRows {
			return nil, []fault.FieldError{lineErr(line, "the file has more than %d rows; split it", MaxImportRows)}
		}
		row, rowErrs := parseRow(rec, col, line, admin)
		errs = append(errs, rowErrs...)
		if first, dup := seenEmail[row.email]; dup && row.email != "" {
			errs = append(errs, lineErr(line, "email %s appears twice in the file (first on line %d)", row.email, first))
		} else {
			seenEmail[row.email] = line
		}
		if first, dup := seenEmp[row.employeeID]; dup && row.employeeID != "" {
			errs = append(errs, lineErr(line, "employee id %s appears twice in the file (first on line %d)", row.employeeID, first))
		} else if row.employeeID != "" {
			seenEmp[row.employeeID] = line
		}
		if len(rowErrs) == 0 {
			rows = append(rows, row) // only well-formed rows are looked up
		}
	}
	return rows, errs
}

func csvErr(err error) fault.FieldError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return lineErr(pe.StartLine, "wrong number of fields: every line needs one per header column")
		}
		return lineErr(pe.StartLine, "malformed CSV: %v", pe.Err)
	}
	return lineErr(0, "malformed CSV: %v", err)
}

// headerIndex maps column names to positions and reports missing or
// unknown columns on line 1.
func headerIndex(header []string) (map[string]int, []fault.FieldError) {
	col := map[string]int{}
	var errs []fault.FieldError
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		_, dup := col[h]
		switch {
		case !slices.Contains(importColumns, h) && h != "roles":
			errs = append(errs, lineErr(1, "unknown column %q (expected email, name, department, employee_id and optionally roles)", h))
		case dup:
			errs = append(errs, lineErr(1, "column %q appears twice", h))
		default:
			col[h] = i + 1 // 1-based so that 0 means absent
		}
	}
	for _, want := range importColumns {
		if col[want] == 0 {
			errs = append(errs, lineErr(1, "missing column %q", want))
		}
	}
	return col, errs
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
	if err := validateProfile(row.email, row.name, row.department, row.employeeID); err != nil {
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
	return row, errs
}

// checkAgainstDatabase finds employee ids owned by other users and, for
// HR, existing users who are not learners.
func checkAgainstDatabase(rows []importRow, existing map[string]User, owners map[string]string, actor Principal) []fault.FieldError {
	var errs []fault.FieldError
	for _, r := range rows {
		if owner, ok := owners[r.employeeID]; ok && owner != r.email {
			errs = append(errs, lineErr(r.line, "employee id %s belongs to another user (%s)", r.employeeID, owner))
		}
		if u, ok := existing[r.email]; ok && !actor.IsAdmin() && !u.Roles.OnlyLearner() {
			errs = append(errs, lineErr(r.line, "%s is not a learner; only an admin may update them", r.email))
		}
	}
	return errs
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
// as tx read them.
func (s *Service) applyImport(ctx context.Context, tx *gorm.DB, rows []importRow, existing map[string]User) (ImportResult, error) {
	var res ImportResult
	now := s.now()
	var fresh []User
	var moved []string
	for _, r := range rows {
		var emp *string
		if r.employeeID != "" {
			emp = &r.employeeID
		}
		u, ok := existing[r.email]
		if !ok {
			roles := r.roles
			if roles == nil {
				roles = Roles{RoleLearner}
			}
			fresh = append(fresh, User{ID: uuid.NewString(), Email: r.email, Name: r.name, Department: r.department,
				EmployeeID: emp, Roles: roles, CreatedAt: now, UpdatedAt: now})
			continue
		}
		changed := u.Name != r.name || u.Department != r.department || deref(u.EmployeeID) != r.employeeID ||
			(r.roles != nil && !u.Roles.Equal(r.roles))
		if !changed {
			res.Unchanged++
			continue
		}
		upd := map[string]any{"name": r.name, "department": r.department, "employee_id": emp, "updated_at": now}
		if r.roles != nil {
			upd["roles"] = r.roles
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(upd).Error; err != nil {
			return res, err
		}
		if u.Department != r.department {
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
		}
	}
	res.Created = len(fresh)
	return res, s.membershipChanged(ctx, tx, moved)
}
