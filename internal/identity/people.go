package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// NewUser is the input for creating a user.
type NewUser struct {
	Email      string
	Name       string
	Department string
	EmployeeID string
	ManagerID  string // optional: the line manager's user id
	Roles      []string
	Password   string // optional: without one the user cannot sign in yet
}

// UserPatch changes some fields of a user; nil means unchanged. An empty
// EmployeeID or ManagerID clears it.
type UserPatch struct {
	Email      *string
	Name       *string
	Department *string
	EmployeeID *string
	ManagerID  *string
	Roles      *[]string
	Disabled   *bool
	Password   *string
}

func fieldErr(field string, err error) *fault.Error {
	return fault.InvalidFields(err.Error(), fault.FieldError{Field: field, Message: err.Error()})
}

// CreateUser adds a user. HR may create learners only.
func (s *Service) CreateUser(ctx context.Context, actor Principal, in NewUser) (User, error) {
	if len(in.Roles) == 0 {
		in.Roles = []string{RoleLearner}
	}
	roles, err := checkRoles(in.Roles)
	if err != nil {
		return User{}, fieldErr("roles", err)
	}
	if !actor.IsAdmin() && !roles.OnlyLearner() {
		return User{}, fault.New(fault.Forbidden, "only an admin may create users with roles other than learner")
	}
	u := User{ID: uuid.NewString(), Email: NormaliseEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Department: strings.TrimSpace(in.Department), Roles: roles}
	if err := validateProfile(u.Email, u.Name, u.Department, in.EmployeeID); err != nil {
		return User{}, err
	}
	if id := strings.TrimSpace(in.EmployeeID); id != "" {
		u.EmployeeID = &id
	}
	if id := strings.TrimSpace(in.ManagerID); id != "" {
		u.ManagerID = &id
	}
	if in.Password != "" {
		h, err := s.hashNewPassword(ctx, "password", in.Password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = &h
	}
	u.CreatedAt, u.UpdatedAt = s.now(), s.now()
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if u.Department, err = canonicalDepartment(tx, u.CreatedAt, u.Department); err != nil {
			return err
		}
		if err := checkManager(tx, u.ID, u.ManagerID); err != nil {
			return err
		}
		if err := s.insertUser(tx, &u); err != nil {
			return err
		}
		if err := s.membershipChanged(ctx, tx, []string{u.ID}); err != nil {
			return err
		}
		return auditCreated(ctx, tx, actor, u)
	})
	return u, err
}

// auditCreated records a new user, made through the API or an import.
func auditCreated(ctx context.Context, tx *gorm.DB, actor Principal, u User) error {
	return audit.Record(ctx, tx, actor.UserID, audit.UserCreated, u.ID,
		map[string]any{"email": u.Email, "roles": []string(u.Roles), "department": u.Department})
}

func (s *Service) insertUser(tx *gorm.DB, u *User) error {
	err := writeUser(tx, u, func(tx *gorm.DB) error { return tx.Create(u).Error })
	if err != nil {
		return fault.Ensure(err, "could not save the user")
	}
	return nil
}

// writeUser runs write, an insert or update of u, and turns a unique
// violation into a Conflict naming the field. The savepoint keeps a
// PostgreSQL transaction usable after the failed statement, so that the
// clash can still be looked up in it.
func writeUser(tx *gorm.DB, u *User, write func(tx *gorm.DB) error) error {
	if err := tx.SavePoint("write_user").Error; err != nil {
		return err
	}
	err := write(tx)
	if !store.IsUniqueViolation(err) {
		return err
	}
	if err := tx.RollbackTo("write_user").Error; err != nil {
		return err
	}
	return uniqueConflict(tx, u.ID, u.Email)
}

// uniqueConflict names which unique field clashes.
func uniqueConflict(tx *gorm.DB, id, email string) error {
	var n int64
	if err := tx.Model(&User{}).Where("email = ? AND id <> ?", email, id).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return &fault.Error{Code: fault.Conflict, Message: fmt.Sprintf("a user with email %s already exists", email),
			Fields: []fault.FieldError{{Field: "email", Message: "already taken"}}}
	}
	return &fault.Error{Code: fault.Conflict, Message: "that employee id belongs to another user",
		Fields: []fault.FieldError{{Field: "employee_id", Message: "already taken"}}}
}

// MaxDepartment is the longest department name, in characters.
const MaxDepartment = 200

func validateProfile(email, name, department, employeeID string) error {
	if err := checkEmail(email); err != nil {
		return fieldErr("email", err)
	}
	if err := checkText("name", name, true, 200); err != nil {
		return fieldErr("name", err)
	}
	if err := checkText("department", department, false, MaxDepartment); err != nil {
		return fieldErr("department", err)
	}
	if err := checkText("employee_id", employeeID, false, 100); err != nil {
		return fieldErr("employee_id", err)
	}
	return nil
}

// UpdateUser applies a patch. HR may edit learners' profiles and
// passwords and disable or re-enable learners; only an admin changes roles
// or edits staff. Disabling ends every session of the user.
func (s *Service) UpdateUser(ctx context.Context, actor Principal, id string, p UserPatch) (User, error) {
	hash, err := s.prepatch(ctx, actor, id, p)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		u, err = s.patchLocked(ctx, tx, actor, id, p, hash)
		return err
	})
	if err != nil {
		return User{}, fault.Ensure(err, "could not update the user")
	}
	return u, nil
}

// prepatch refuses what can be refused before the costly password hash,
// then hashes the new password, if any.
func (s *Service) prepatch(ctx context.Context, actor Principal, id string, p UserPatch) (*string, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayPatch(actor, u, p); err != nil {
		return nil, err
	}
	if err := applyPatch(&u, p); err != nil {
		return nil, err
	}
	if p.Password == nil {
		return nil, nil
	}
	h, err := s.hashNewPassword(ctx, "password", *p.Password)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// patchLocked reads the user again, locked, in the transaction that writes
// it back: checked or saved from the copy read before, a change made
// meanwhile (another field, a role an admin just granted) would be
// overwritten or bypassed.
func (s *Service) patchLocked(ctx context.Context, tx *gorm.DB, actor Principal, id string, p UserPatch, hash *string) (User, error) {
	var before User
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&before, "id = ?", id).Error
	if store.IsNotFound(err) {
		return User{}, fault.New(fault.NotFound, "no user %q", id)
	}
	if err != nil {
		return User{}, err
	}
	if err := mayPatch(actor, before, p); err != nil {
		return User{}, err
	}
	u := before
	if err := applyPatch(&u, p); err != nil {
		return User{}, err
	}
	if hash != nil {
		u.PasswordHash = hash
	}
	return s.saveUpdate(ctx, tx, actor, before, u, p.Password != nil)
}

// saveUpdate stores u, the user before was, in tx: the department in its
// canonical spelling, a new manager checked for loops, then what a change
// sets off (afterPatch) and the audit entry. The API's patch and SCIM's
// replace both end here.
func (s *Service) saveUpdate(ctx context.Context, tx *gorm.DB, actor Principal, before, u User, password bool) (User, error) {
	var err error
	if u.Department != before.Department {
		if u.Department, err = canonicalDepartment(tx, s.now(), u.Department); err != nil {
			return User{}, err
		}
	}
	if deref(u.ManagerID) != deref(before.ManagerID) {
		if err := checkManager(tx, u.ID, u.ManagerID); err != nil {
			return User{}, err
		}
	}
	u.UpdatedAt = s.now()
	if err := writeUser(tx, &u, func(tx *gorm.DB) error {
		return tx.Select("*").Omit("created_at").Save(&u).Error
	}); err != nil {
		return User{}, err
	}
	if err := s.afterPatch(ctx, tx, before, u, password); err != nil {
		return User{}, err
	}
	return u, s.auditUpdate(ctx, tx, actor, before, u, password)
}

// afterPatch ends sessions and tells membership listeners what a saved
// patch implies.
func (s *Service) afterPatch(ctx context.Context, tx *gorm.DB, before, u User, password bool) error {
	if u.Disabled || password {
		// Disabling ends every session; an admin-set password does too.
		if err := s.revokeFamilies(tx, "user_id = ?", u.ID); err != nil {
			return err
		}
	}
	if before.Department != u.Department {
		return s.membershipChanged(ctx, tx, []string{u.ID})
	}
	return nil
}

// mayPatch says whether actor may apply p to u: HR edits, disables and
// re-enables learners only (leavers are HR's), and never changes roles.
func mayPatch(actor Principal, u User, p UserPatch) error {
	switch {
	case actor.UserID == u.ID && p.Disabled != nil && *p.Disabled:
		// An admin locking themselves out could leave nobody to undo it.
		return fault.New(fault.Conflict, "you cannot disable your own account")
	case actor.UserID == u.ID && p.Roles != nil && actor.IsAdmin() && !Roles(*p.Roles).Has(RoleAdmin):
		return fault.New(fault.Conflict, "you cannot remove your own admin role; ask another admin")
	case actor.IsAdmin():
		return nil
	case !u.Roles.OnlyLearner():
		return fault.New(fault.Forbidden, "HR may edit learners only")
	case p.Roles != nil:
		return fault.New(fault.Forbidden, "only an admin may change roles")
	}
	return nil
}

func applyPatch(u *User, p UserPatch) error {
	if p.Email != nil {
		u.Email = NormaliseEmail(*p.Email)
	}
	if p.Name != nil {
		u.Name = strings.TrimSpace(*p.Name)
	}
	if p.Department != nil {
		u.Department = strings.TrimSpace(*p.Department)
	}
	emp := ""
	if u.EmployeeID != nil {
		emp = *u.EmployeeID
	}
	if p.EmployeeID != nil {
		emp = strings.TrimSpace(*p.EmployeeID)
		u.EmployeeID = nil
		if emp != "" {
			u.EmployeeID = &emp
		}
	}
	if err := validateProfile(u.Email, u.Name, u.Department, emp); err != nil {
		return err
	}
	if p.ManagerID != nil {
		u.ManagerID = nil
		if id := strings.TrimSpace(*p.ManagerID); id != "" {
			u.ManagerID = &id
		}
	}
	if p.Roles != nil {
		roles, err := checkRoles(*p.Roles)
		if err != nil {
			return fieldErr("roles", err)
		}
		u.Roles = roles
	}
	if p.Disabled != nil {
		u.Disabled = *p.Disabled
	}
	return nil
}

func (s *Service) auditUpdate(ctx context.Context, tx *gorm.DB, actor Principal, before, after User, password bool) error {
	if !before.Roles.Equal(after.Roles) {
		if err := audit.Record(ctx, tx, actor.UserID, audit.RolesChanged, after.ID,
			map[string]any{"from": []string(before.Roles), "to": []string(after.Roles)}); err != nil {
			return err
		}
	}
	if before.Disabled != after.Disabled {
		action := audit.UserEnabled
		if after.Disabled {
			action = audit.UserDisabled
		}
		if err := audit.Record(ctx, tx, actor.UserID, action, after.ID, nil); err != nil {
			return err
		}
	}
	if password {
		if err := audit.Record(ctx, tx, actor.UserID, audit.PasswordChanged, after.ID, map[string]any{"by": "admin"}); err != nil {
			return err
		}
	}
	changed := map[string]any{}
	if before.Email != after.Email {
		changed["email"] = after.Email
	}
	if before.Name != after.Name {
		changed["name"] = after.Name
	}
	if before.Department != after.Department {
		changed["department"] = after.Department
	}
	if deref(before.EmployeeID) != deref(after.EmployeeID) {
		changed["employee_id"] = deref(after.EmployeeID)
	}
	if deref(before.ManagerID) != deref(after.ManagerID) {
		changed["manager_id"] = deref(after.ManagerID)
	}
	if len(changed) == 0 {
		return nil
	}
	return audit.Record(ctx, tx, actor.UserID, audit.UserUpdated, after.ID, changed)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Service) membershipChanged(ctx context.Context, tx *gorm.DB, ids []string) error {
	if s.OnMembership == nil || len(ids) == 0 {
		return nil
	}
	return s.OnMembership(ctx, tx, ids)
}
