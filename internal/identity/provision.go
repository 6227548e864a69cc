package identity

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Provisioned is a person as an identity provider (SCIM) sets them: the
// whole of what it manages. The SCIM layer turns its protocol (PUT, PATCH
// in the shapes providers send) into one of these.
type Provisioned struct {
	UserName   string // required; compared without regard to case
	Email      string // emails[primary]; "" falls back to UserName
	Name       string // "" falls back to the part of the email before @
	Department string
	EmployeeID string
	ExternalID string
	ManagerID  string // the enterprise manager's value: a user id
	Active     bool
}

// Provisioner is the actor of SCIM changes in the audit log: the token.
func Provisioner(tokenID string) Principal {
	return Principal{UserID: "scim:" + tokenID, Roles: Roles{RoleAdmin}}
}

// profile checks p and returns the user fields it sets.
func (p Provisioned) profile() (userName, email, name string, err error) {
	userName = NormaliseEmail(p.UserName)
	if userName == "" {
		return "", "", "", fieldErr("userName", errRequired("userName"))
	}
	if err := checkText("userName", userName, true, maxEmailBytes); err != nil {
		return "", "", "", fieldErr("userName", err)
	}
	email = NormaliseEmail(p.Email)
	if email == "" {
		email = userName
	}
	name = strings.TrimSpace(p.Name)
	if name == "" {
		name = email
		if at := strings.IndexByte(email, '@'); at > 0 {
			name = email[:at]
		}
	}
	if err := validateProfile(email, name, strings.TrimSpace(p.Department), strings.TrimSpace(p.EmployeeID)); err != nil {
		return "", "", "", err
	}
	return userName, email, name, nil
}

func errRequired(field string) error { return fault.New(fault.Invalid, "%s is required", field) }

func optional(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

// scimUserName is the stored userName: NULL when it is the email.
func scimUserName(userName, email string) *string {
	if userName == email {
		return nil
	}
	return &userName
}

// ProvisionCreate creates a person (a learner), or brings back one a SCIM
// DELETE disabled when the userName is the same. A userName or email an
// active account holds answers Conflict.
func (s *Service) ProvisionCreate(ctx context.Context, actor Principal, p Provisioned) (User, error) {
	userName, email, name, err := p.profile()
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		var old User
		err := byUserName(tx.Clauses(clause.Locking{Strength: "UPDATE"}), userName).Take(&old).Error
		switch {
		case err == nil && old.ScimDeletedAt != nil:
			u, err = s.provisionLocked(ctx, tx, actor, old, p, true)
			return err
		case err == nil:
			return fault.Typed(fault.Conflict, "uniqueness", "a user with userName %s already exists", userName)
		case !store.IsNotFound(err):
			return err
		}
		now := s.now()
		u = User{ID: uuid.NewString(), Email: email, Name: name, Roles: Roles{RoleLearner},
			EmployeeID: optional(p.EmployeeID), ExternalID: optional(p.ExternalID), ManagerID: optional(p.ManagerID),
			ScimUserName: scimUserName(userName, email), Disabled: !p.Active, CreatedAt: now, UpdatedAt: now}
		if u.Department, err = canonicalDepartment(tx, now, strings.TrimSpace(p.Department)); err != nil {
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
		return audit.Record(ctx, tx, actor.UserID, audit.UserCreated, u.ID,
			map[string]any{"email": u.Email, "roles": []string(u.Roles), "department": u.Department, "via": "scim"})
	})
	if err != nil {
		return User{}, fault.Ensure(err, "could not create the user")
	}
	return u, nil
}

// byUserName finds the account a SCIM userName names: its stored userName,
// or, when none is stored, its email.
func byUserName(q *gorm.DB, userName string) *gorm.DB {
	return q.Where("scim_user_name = ? OR (scim_user_name IS NULL AND email = ?)", userName, userName)
}

// ProvisionGet returns a person SCIM may see: not one it deleted.
func (s *Service) ProvisionGet(ctx context.Context, id string) (User, error) {
	var u User
	err := s.db.R.WithContext(ctx).Take(&u, "id = ? AND scim_deleted_at IS NULL", id).Error
	if store.IsNotFound(err) {
		return u, fault.New(fault.NotFound, "no user %q", id)
	}
	return u, fault.Ensure(err, "could not load the user")
}

// ProvisionUpdate sets everything SCIM manages about a person. Turning
// Active off disables them and ends every session at once; a change of
// department moves them into that department's standing assignments.
func (s *Service) ProvisionUpdate(ctx context.Context, actor Principal, id string, p Provisioned) (User, error) {
	if _, _, _, err := p.profile(); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var before User
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&before, "id = ? AND scim_deleted_at IS NULL", id).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no user %q", id)
		}
		if err != nil {
			return err
		}
		u, err = s.provisionLocked(ctx, tx, actor, before, p, false)
		return err
	})
	if err != nil {
		return User{}, fault.Ensure(err, "could not update the user")
	}
	return u, nil
}

// provisionLocked writes p over before (read locked in tx); revive also
// clears a SCIM deletion.
func (s *Service) provisionLocked(ctx context.Context, tx *gorm.DB, actor Principal, before User, p Provisioned, revive bool) (User, error) {
	userName, email, name, err := p.profile()
	if err != nil {
		return User{}, err
	}
	if err := s.mayProvision(before, email, !p.Active); err != nil {
		return User{}, err
	}
	u := before
	u.Email, u.Name, u.Department = email, name, strings.TrimSpace(p.Department)
	u.EmployeeID, u.ExternalID, u.ManagerID = optional(p.EmployeeID), optional(p.ExternalID), optional(p.ManagerID)
	u.ScimUserName = scimUserName(userName, email)
	u.Disabled = !p.Active
	if revive {
		u.ScimDeletedAt = nil
	}
	return s.saveUpdate(ctx, tx, actor, before, u, false)
}

// mayProvision keeps the identity provider from taking over or locking
// out an admin: it may not change an admin's email (a password reset would
// go to the new address), nor disable or delete the break-glass admin.
func (s *Service) mayProvision(u User, email string, disable bool) error {
	if u.Roles.Has(RoleAdmin) && email != u.Email {
		return fault.Typed(fault.Conflict, "mutability", "an admin's email is not changed by provisioning; an admin changes it in upskill")
	}
	if disable && s.Passwords.BreakGlass != "" && u.Email == s.Passwords.BreakGlass && u.Roles.Has(RoleAdmin) {
		return fault.Typed(fault.Conflict, "mutability", "the break-glass admin is not disabled by provisioning: it is the way in when single sign-on fails")
	}
	return nil
}

// ProvisionDelete is a SCIM DELETE: the person is disabled, their sessions
// end, and SCIM no longer sees them; their records and history stay.
func (s *Service) ProvisionDelete(ctx context.Context, actor Principal, id string) error {
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		var u User
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&u, "id = ? AND scim_deleted_at IS NULL", id).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no user %q", id)
		}
		if err != nil {
			return err
		}
		if err := s.mayProvision(u, u.Email, true); err != nil {
			return err
		}
		now := s.now()
		if err := tx.Model(&User{}).Where("id = ?", id).
			Updates(map[string]any{"disabled": true, "scim_deleted_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := s.revokeFamilies(tx, "user_id = ?", id); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", id).Delete(&groupMember{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, audit.UserDisabled, id, map[string]any{"via": "scim", "deleted": true})
	}), "could not delete the user")
}

// ProvisionFilter narrows a SCIM listing; empty fields do not filter.
type ProvisionFilter struct {
	UserName   string
	ExternalID string
	// None matches nothing (a filter on an attribute no one can hold).
	None bool
}

// ProvisionList returns one page of the people SCIM sees, oldest first:
// from start (0-based), at most count, and how many match in all.
func (s *Service) ProvisionList(ctx context.Context, f ProvisionFilter, start, count int) ([]User, int, error) {
	q := s.db.R.WithContext(ctx).Model(&User{}).Where("scim_deleted_at IS NULL")
	if f.None {
		return []User{}, 0, nil
	}
	if f.UserName != "" {
		q = byUserName(q, NormaliseEmail(f.UserName))
	}
	if f.ExternalID != "" {
		q = q.Where("external_id = ?", f.ExternalID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fault.Wrap(err, "could not count users")
	}
	out := []User{}
	if count > 0 {
		if err := q.Order("created_at, id").Offset(start).Limit(count).Find(&out).Error; err != nil {
			return nil, 0, fault.Wrap(err, "could not list users")
		}
	}
	return out, int(total), nil
}

// Group is a SCIM group. Groups are kept with their members and never
// change anyone's department.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Members     []string `gorm:"-"` // user ids
}

// TableName is the scim_groups table.
func (Group) TableName() string { return "scim_groups" }

type groupMember struct {
	GroupID string
	UserID  string
}

func (groupMember) TableName() string { return "scim_group_members" }

// Audit actions of groups.
const (
	ActionGroupCreated = "group.created"
	ActionGroupUpdated = "group.updated"
	ActionGroupDeleted = "group.deleted"
)

// GroupChange is what a write sets: nil fields stay as they are; Add and
// Remove change membership by user id, SetMembers replaces it.
type GroupChange struct {
	DisplayName *string
	ExternalID  *string
	SetMembers  *[]string
	Add, Remove []string
	RemoveAll   bool
}

// CreateGroup adds a group with its members.
func (s *Service) CreateGroup(ctx context.Context, actor Principal, name, externalID string, members []string) (Group, error) {
	name = strings.TrimSpace(name)
	if err := checkText("displayName", name, true, 200); err != nil {
		return Group{}, fieldErr("displayName", err)
	}
	now := s.now()
	g := Group{ID: uuid.NewString(), DisplayName: name, ExternalID: optional(externalID), CreatedAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Group{}).Where("display_name = ?", name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fault.Typed(fault.Conflict, "uniqueness", "a group named %s already exists", name)
		}
		if err := tx.Create(&g).Error; err != nil {
			return err
		}
		if err := s.addMembers(tx, g.ID, members); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, ActionGroupCreated, g.ID, map[string]any{"name": name, "members": len(members)})
	})
	if err != nil {
		return Group{}, fault.Ensure(err, "could not create the group")
	}
	return s.GetGroup(ctx, g.ID)
}

func (s *Service) addMembers(tx *gorm.DB, groupID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var known []string
	if err := tx.Model(&User{}).Where("id IN ? AND scim_deleted_at IS NULL", ids).Pluck("id", &known).Error; err != nil {
		return err
	}
	if len(known) != len(uniq(ids)) {
		return fault.InvalidFields("a member is not a known user", fault.FieldError{Field: "members", Message: "every value must be the id of a user"})
	}
	rows := make([]groupMember, 0, len(known))
	for _, id := range known {
		rows = append(rows, groupMember{GroupID: groupID, UserID: id})
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(ctx context.Context, id string) (Group, error) {
	var g Group
	db := s.db.R.WithContext(ctx)
	err := db.Take(&g, "id = ?", id).Error
	if store.IsNotFound(err) {
		return g, fault.New(fault.NotFound, "no group %q", id)
	}
	if err != nil {
		return g, fault.Wrap(err, "could not load the group")
	}
	g.Members = []string{}
	err = db.Model(&groupMember{}).Where("group_id = ?", id).Order("user_id").Pluck("user_id", &g.Members).Error
	return g, fault.Ensure(err, "could not load the members")
}

// ListGroups returns a page of groups, by name; displayName and
// externalID filter when set.
func (s *Service) ListGroups(ctx context.Context, displayName, externalID string, start, count int) ([]Group, int, error) {
	q := s.db.R.WithContext(ctx).Model(&Group{})
	if displayName != "" {
		q = q.Where("display_name = ?", displayName)
	}
	if externalID != "" {
		q = q.Where("external_id = ?", externalID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fault.Wrap(err, "could not count groups")
	}
	var ids []string
	if count > 0 {
		if err := q.Order("display_name, id").Offset(start).Limit(count).Pluck("id", &ids).Error; err != nil {
			return nil, 0, fault.Wrap(err, "could not list groups")
		}
	}
	out := []Group{}
	for _, id := range ids {
		g, err := s.GetGroup(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	return out, int(total), nil
}

// UpdateGroup applies a change to a group.
func (s *Service) UpdateGroup(ctx context.Context, actor Principal, id string, c GroupChange) (Group, error) {
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var g Group
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&g, "id = ?", id).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no group %q", id)
		}
		if err != nil {
			return err
		}
		upd := map[string]any{"updated_at": s.now()}
		if c.DisplayName != nil {
			name := strings.TrimSpace(*c.DisplayName)
			if err := checkText("displayName", name, true, 200); err != nil {
				return fieldErr("displayName", err)
			}
			var n int64
			if err := tx.Model(&Group{}).Where("display_name = ? AND id <> ?", name, id).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return fault.Typed(fault.Conflict, "uniqueness", "a group named %s already exists", name)
			}
			upd["display_name"] = name
		}
		if c.ExternalID != nil {
			upd["external_id"] = optional(*c.ExternalID)
		}
		if err := tx.Model(&Group{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return err
		}
		if c.SetMembers != nil || c.RemoveAll {
			if err := tx.Where("group_id = ?", id).Delete(&groupMember{}).Error; err != nil {
				return err
			}
		}
		if c.SetMembers != nil {
			if err := s.addMembers(tx, id, *c.SetMembers); err != nil {
				return err
			}
		}
		if err := s.addMembers(tx, id, c.Add); err != nil {
			return err
		}
		if len(c.Remove) > 0 {
			if err := tx.Where("group_id = ? AND user_id IN ?", id, c.Remove).Delete(&groupMember{}).Error; err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor.UserID, ActionGroupUpdated, id,
			map[string]any{"added": len(c.Add), "removed": len(c.Remove), "replaced": c.SetMembers != nil || c.RemoveAll})
	})
	if err != nil {
		return Group{}, fault.Ensure(err, "could not update the group")
	}
	return s.GetGroup(ctx, id)
}

// DeleteGroup removes a group and its memberships (never a person).
func (s *Service) DeleteGroup(ctx context.Context, actor Principal, id string) error {
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&Group{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.New(fault.NotFound, "no group %q", id)
		}
		if err := tx.Where("group_id = ?", id).Delete(&groupMember{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, ActionGroupDeleted, id, nil)
	}), "could not delete the group")
}
