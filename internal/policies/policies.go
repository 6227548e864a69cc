// Package policies keeps versioned policy documents (an AI acceptable-use
// policy, say): published like modules, from content/policies/<slug>.md or
// PUT /api/v1/policies/{slug}, each changed text a new integer version;
// shown to the people of the departments they name (everyone when they
// name none); acknowledged per version, so a new version asks everyone
// again; and reported like the completions report.
package policies

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
)

// Audit actions.
const (
	ActionPublished    = "policy.published"
	ActionAcknowledged = "policy.acknowledged"
)

// TypeNotCurrent is the problem type of an acknowledgement of a version
// that is not the current one.
const TypeNotCurrent = "policy-version-not-current"

// Options tune the service.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
}

// Service publishes, lists and reports policies.
type Service struct {
	db  *store.DB
	now func() time.Time
	log *slog.Logger
}

// New returns the policies service.
func New(db *store.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, now: opt.Now, log: opt.Log}
}

func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// revisionRow is one stored version.
type revisionRow struct {
	Slug        string `gorm:"primaryKey"`
	Version     int    `gorm:"primaryKey"`
	ContentHash string
	Title       string
	Summary     string
	Departments []string `gorm:"serializer:json"`
	Source      string
	HTML        string `gorm:"column:html"`
	PublishedAt time.Time
	PublishedBy *string
}

func (revisionRow) TableName() string { return "policy_revisions" }

type ackRow struct {
	UserID         string `gorm:"primaryKey"`
	Policy         string `gorm:"primaryKey"`
	Version        int    `gorm:"primaryKey"`
	AcknowledgedAt time.Time
}

func (ackRow) TableName() string { return "policy_acknowledgements" }

// Policy is the current version of a policy as a person sees it.
type Policy struct {
	Slug           string
	Title          string
	Summary        string
	Departments    []string
	Version        int
	HTML           string
	ContentHash    string
	PublishedAt    time.Time
	AcknowledgedAt *time.Time
}

// AppliesTo reports whether a policy for departments applies to someone
// in department: every department matches an empty list; names compare
// without regard to case.
func AppliesTo(departments []string, department string) bool {
	if len(departments) == 0 {
		return true
	}
	key := identity.DepartmentKey(department)
	return slices.ContainsFunc(departments, func(d string) bool { return identity.DepartmentKey(d) == key })
}

// PublishResult says what a publish did.
type PublishResult struct {
	Slug    string
	Version int
	Hash    string
	Created bool
}

// invalid is the answer to a policy with problems.
func invalid(slug string, probs []content.Problem) error {
	content.SortProblems(probs)
	msg := fmt.Sprintf("policy %q has %d problems; nothing was published", slug, len(probs))
	if len(probs) == 1 {
		p := probs[0]
		msg = fmt.Sprintf("policy %q was not published: %s:%d: %s", slug, p.File, p.Line, p.Message)
	}
	return &fault.Error{Code: fault.Invalid, Type: catalog.TypeInvalidContent, Message: msg, Ext: map[string]any{"problems": probs}}
}

// taken lists the slugs a policy may not take: modules' (and, when their
// tables exist, paths' and pulses' are checked by the content linter).
func takenSlugs(tx *gorm.DB) (map[string]bool, error) {
	// One namespace: modules, learning paths and readiness pulses.
	var slugs, docs []string
	if err := tx.Table("modules").Pluck("slug", &slugs).Error; err != nil {
		return nil, err
	}
	if err := tx.Table("content_docs").Distinct("slug").Pluck("slug", &docs).Error; err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(slugs)+len(docs))
	for _, s := range append(slugs, docs...) {
		known[s] = true
	}
	return known, nil
}

// PublishUpload publishes the files of an upload: exactly policy.md.
func (s *Service) PublishUpload(ctx context.Context, slug string, files map[string][]byte, actorID string) (PublishResult, error) {
	var probs []content.Problem
	for p := range files {
		if p != content.PolicyFile {
			probs = append(probs, content.Problem{File: p, Message: "a policy is one file, policy.md"})
		}
	}
	src, ok := files[content.PolicyFile]
	if !ok {
		probs = append(probs, content.Problem{File: content.PolicyFile, Message: "policy.md is required"})
	}
	if len(probs) > 0 {
		return PublishResult{}, invalid(slug, probs)
	}
	return s.Publish(ctx, slug, src, actorID, content.PolicyFile)
}

// Publish checks src as the policy slug and stores it as the next version
// unless it equals the newest one. actorID is "" for the content import.
func (s *Service) Publish(ctx context.Context, slug string, src []byte, actorID, file string) (PublishResult, error) {
	res := PublishResult{Slug: slug}
	err := s.db.TxRetrying(ctx, 5, func(tx *gorm.DB) error {
		res.Created = false
		known, err := takenSlugs(tx)
		if err != nil {
			return err
		}
		pol, probs := content.ParsePolicy(file, slug, src, known)
		if len(probs) > 0 {
			return invalid(slug, probs)
		}
		res.Hash = pol.Hash
		var last revisionRow
		err = tx.Where("slug = ?", slug).Order("version DESC").Take(&last).Error
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		if err == nil && last.ContentHash == pol.Hash {
			res.Version = last.Version
			return nil
		}
		row := revisionRow{Slug: slug, Version: last.Version + 1, ContentHash: pol.Hash, Title: pol.Title,
			Summary: pol.Summary, Departments: nonNil(pol.Departments), Source: string(src), HTML: pol.HTML,
			PublishedAt: s.clock()}
		if actorID != "" {
			row.PublishedBy = &actorID
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		res.Version, res.Created = row.Version, true
		return audit.Record(ctx, tx, actorID, ActionPublished, slug, map[string]any{"version": row.Version, "content_hash": pol.Hash})
	})
	if err != nil {
		return PublishResult{}, fault.Ensure(err, "could not publish policy %q", slug)
	}
	return res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ImportDir publishes every policies/<slug>.md under the content root dir
// whose text differs from the newest version; a policy whose newest
// version was published through the API is left alone (logged). Problems
// are logged and skip the file.
func (s *Service) ImportDir(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(filepath.Join(dir, "policies"))
	if err != nil {
		return nil // no policies folder
	}
	for _, e := range entries {
		slug, ok := strings.CutSuffix(e.Name(), ".md")
		if e.IsDir() || !ok || strings.HasPrefix(slug, ".") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, "policies", e.Name()))
		if err != nil {
			return fmt.Errorf("read policy: %w", err)
		}
		var last []revisionRow
		if err := s.db.R.WithContext(ctx).Where("slug = ?", slug).Order("version DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if len(last) == 1 && last[0].PublishedBy != nil {
			if content.PolicyHash(src) != last[0].ContentHash {
				s.log.Warn("policy file not imported: its newest version was published through the API",
					slog.String("slug", slug), slog.Int("api_version", last[0].Version))
			}
			continue
		}
		res, err := s.Publish(ctx, slug, src, "", "policies/"+e.Name())
		switch {
		case err == nil:
			s.log.Info("policy imported", slog.String("slug", slug), slog.Int("version", res.Version), slog.Bool("new_version", res.Created))
		case fault.CodeOf(err) == fault.Invalid:
			s.log.Warn("policy not published: fix its problems", slog.String("slug", slug), slog.String("problem", err.Error()))
		default:
			return err
		}
	}
	return nil
}

// current returns the newest version of every policy, by slug.
func (s *Service) current(ctx context.Context, db *gorm.DB) ([]revisionRow, error) {
	var rows []revisionRow
	err := db.WithContext(ctx).Where("version = (SELECT MAX(p.version) FROM policy_revisions p WHERE p.slug = policy_revisions.slug)").
		Order("slug").Find(&rows).Error
	return rows, err
}

func (s *Service) user(ctx context.Context, id string) (identity.User, error) {
	var u identity.User
	err := s.db.R.WithContext(ctx).Take(&u, "id = ?", id).Error
	if err != nil {
		return u, fault.Wrap(err, "could not read the user")
	}
	return u, nil
}

func view(r revisionRow, ack *time.Time) Policy {
	return Policy{Slug: r.Slug, Title: r.Title, Summary: r.Summary, Departments: nonNil(r.Departments), Version: r.Version,
		HTML: r.HTML, ContentHash: r.ContentHash, PublishedAt: r.PublishedAt.UTC(), AcknowledgedAt: ack}
}

// acks returns userID's acknowledgement times by "slug\x00version".
func (s *Service) acks(ctx context.Context, userID string) (map[string]time.Time, error) {
	var rows []ackRow
	if err := s.db.R.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[fmt.Sprintf("%s\x00%d", r.Policy, r.Version)] = r.AcknowledgedAt.UTC()
	}
	return out, nil
}

// ForUser lists the current policies that apply to the caller, each with
// the caller's acknowledgement of that version.
func (s *Service) ForUser(ctx context.Context, p identity.Principal) ([]Policy, error) {
	u, err := s.user(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	rows, err := s.current(ctx, s.db.R)
	if err != nil {
		return nil, fault.Wrap(err, "could not read policies")
	}
	acks, err := s.acks(ctx, u.ID)
	if err != nil {
		return nil, fault.Wrap(err, "could not read acknowledgements")
	}
	out := []Policy{}
	for _, r := range rows {
		if !AppliesTo(r.Departments, u.Department) {
			continue
		}
		var at *time.Time
		if t, ok := acks[fmt.Sprintf("%s\x00%d", r.Slug, r.Version)]; ok {
			at = &t
		}
		out = append(out, view(r, at))
	}
	return out, nil
}

func noPolicy(slug string) error { return fault.New(fault.NotFound, "no policy %q", slug) }

// Get returns one current policy that applies to the caller. Trainers,
// HR and admins see every policy; others get 404 for one that is not
// theirs.
func (s *Service) Get(ctx context.Context, p identity.Principal, slug string) (Policy, error) {
	if !content.ValidSlug(slug) {
		return Policy{}, noPolicy(slug)
	}
	u, err := s.user(ctx, p.UserID)
	if err != nil {
		return Policy{}, err
	}
	var r revisionRow
	err = s.db.R.WithContext(ctx).Where("slug = ?", slug).Order("version DESC").Take(&r).Error
	if store.IsNotFound(err) {
		return Policy{}, noPolicy(slug)
	}
	if err != nil {
		return Policy{}, fault.Wrap(err, "could not read policy %q", slug)
	}
	if !AppliesTo(r.Departments, u.Department) && !p.HasAny(identity.RoleTrainer, identity.RoleHR, identity.RoleAdmin) {
		return Policy{}, noPolicy(slug)
	}
	acks, err := s.acks(ctx, u.ID)
	if err != nil {
		return Policy{}, fault.Wrap(err, "could not read acknowledgements")
	}
	var at *time.Time
	if t, ok := acks[fmt.Sprintf("%s\x00%d", r.Slug, r.Version)]; ok {
		at = &t
	}
	return view(r, at), nil
}

// Acknowledgement is one person's acknowledgement of one version.
type Acknowledgement struct {
	Policy         string
	Version        int
	AcknowledgedAt time.Time
	Created        bool // false: it was acknowledged before
}

// Acknowledge records that the caller read version of slug. Only the
// current version may be acknowledged (409 otherwise); acknowledging it
// again answers the first time.
func (s *Service) Acknowledge(ctx context.Context, p identity.Principal, slug string, version int) (Acknowledgement, error) {
	if version < 1 {
		return Acknowledgement{}, fault.InvalidFields("version is required: the policy's current version",
			fault.FieldError{Field: "version", Message: "a whole number from 1"})
	}
	cur, err := s.Get(ctx, p, slug)
	if err != nil {
		return Acknowledgement{}, err
	}
	if cur.Version != version {
		return Acknowledgement{}, fault.Typed(fault.Conflict, TypeNotCurrent,
			"version %d of policy %q is not the current one; the current version is %d", version, slug, cur.Version)
	}
	out := Acknowledgement{Policy: slug, Version: version}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		row := ackRow{UserID: p.UserID, Policy: slug, Version: version, AcknowledgedAt: s.clock()}
		res := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var old ackRow
			if err := tx.WithContext(ctx).Take(&old, "user_id = ? AND policy = ? AND version = ?", p.UserID, slug, version).Error; err != nil {
				return err
			}
			out.AcknowledgedAt = old.AcknowledgedAt.UTC()
			return nil
		}
		out.AcknowledgedAt, out.Created = row.AcknowledgedAt, true
		return audit.Record(ctx, tx, p.UserID, ActionAcknowledged, slug, map[string]any{"version": version})
	})
	if err != nil {
		return Acknowledgement{}, fault.Ensure(err, "could not record the acknowledgement")
	}
	return out, nil
}

// Unacknowledged lists, for the reminders digest, every enabled person's
// current policies that apply to them and that they have not acknowledged.
func (s *Service) Unacknowledged(ctx context.Context) (map[string][]Policy, error) {
	return Unacknowledged(ctx, s.db.R)
}

// Unacknowledged is Service.Unacknowledged on db (notify reads it).
func Unacknowledged(ctx context.Context, db *gorm.DB) (map[string][]Policy, error) {
	var rows []revisionRow
	err := db.WithContext(ctx).Where("version = (SELECT MAX(p.version) FROM policy_revisions p WHERE p.slug = policy_revisions.slug)").
		Order("slug").Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var users []struct{ ID, Department string }
	if err := db.WithContext(ctx).Table("users").Select("id, department").Where("disabled = ? AND erased_at IS NULL", false).Scan(&users).Error; err != nil {
		return nil, err
	}
	var acks []ackRow
	if err := db.WithContext(ctx).Find(&acks).Error; err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, a := range acks {
		done[fmt.Sprintf("%s\x00%s\x00%d", a.UserID, a.Policy, a.Version)] = true
	}
	out := map[string][]Policy{}
	for _, u := range users {
		for _, r := range rows {
			if AppliesTo(r.Departments, u.Department) && !done[fmt.Sprintf("%s\x00%s\x00%d", u.ID, r.Slug, r.Version)] {
				out[u.ID] = append(out[u.ID], Policy{Slug: r.Slug, Title: r.Title, Version: r.Version, PublishedAt: r.PublishedAt.UTC()})
			}
		}
	}
	return out, nil
}

// ReportColumns are the policies report's columns, in order.
var ReportColumns = []string{"employee_id", "email", "name", "department", "policy", "policy_title", "version",
	"acknowledged", "acknowledged_at", "acknowledged_version", "published_at"}

// ReportFilter narrows the report.
type ReportFilter struct {
	Policy, Department string
}

// Report writes one row per (enabled person, current policy that applies
// to them): whether they acknowledged the current version and when, and
// the newest version they did acknowledge. It is audited as an export.
// start is called before the first byte.
func (s *Service) Report(ctx context.Context, actorID string, f ReportFilter, format reports.Format, w io.Writer, start func()) error {
	pols, err := s.current(ctx, s.db.R)
	if err != nil {
		return fault.Wrap(err, "could not read policies")
	}
	if f.Policy != "" {
		pols = slices.DeleteFunc(pols, func(r revisionRow) bool { return r.Slug != f.Policy })
		if len(pols) == 0 {
			return fault.InvalidFields("unknown policy", fault.FieldError{Field: "policy", Message: fmt.Sprintf("no policy %q", f.Policy)})
		}
	}
	var acks []ackRow
	if err := s.db.R.WithContext(ctx).Find(&acks).Error; err != nil {
		return fault.Wrap(err, "could not read acknowledgements")
	}
	type key struct{ user, policy string }
	byKey := map[key][]ackRow{}
	for _, a := range acks {
		byKey[key{a.UserID, a.Policy}] = append(byKey[key{a.UserID, a.Policy}], a)
	}
	if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		return audit.Record(ctx, tx, actorID, audit.ReportExported, "policies", map[string]any{"report": "policies",
			"format": string(format), "policy": f.Policy, "department": f.Department})
	}); err != nil {
		return err
	}
	start()
	tw, err := reports.NewTableWriter(format, w, "Policies", ReportColumns)
	if err != nil {
		return err
	}
	// People are read as the rows go out, so memory holds the
	// acknowledgements but not the people.
	q := s.db.R.WithContext(ctx).Model(&identity.User{}).Where("disabled = ?", false)
	if f.Department != "" {
		q = q.Where("lower(department) = ?", identity.DepartmentKey(f.Department))
	}
	rows, err := q.Order("lower(department), lower(name), id").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u identity.User
		if err := s.db.R.ScanRows(rows, &u); err != nil {
			return err
		}
		for _, p := range pols {
			if !AppliesTo(p.Departments, u.Department) {
				continue
			}
			var at *time.Time
			var latest *int
			as := byKey[key{u.ID, p.Slug}]
			sort.Slice(as, func(i, j int) bool { return as[i].Version < as[j].Version })
			for _, a := range as {
				v := a.Version
				latest = &v
				if a.Version == p.Version {
					t := a.AcknowledgedAt.UTC()
					at = &t
				}
			}
			if err := tw.Row(u.EmployeeID, u.Email, u.Name, u.Department, p.Slug, p.Title, p.Version,
				at != nil, at, latest, p.PublishedAt); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Close()
}

// Reminders lists the reminder items of unacknowledged policies for the
// digest (notify.Source): one item per person and policy version, again
// each week it stays unacknowledged.
func (s *Service) Reminders(ctx context.Context, now time.Time) (map[string][]notify.Item, error) {
	pending, err := s.Unacknowledged(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]notify.Item, len(pending))
	for uid, pols := range pending {
		for _, p := range pols {
			week := max(int(now.Sub(p.PublishedAt).Hours()/24), 0) / 7
			out[uid] = append(out[uid], notify.Item{Kind: notify.Policy, Module: p.Slug, Title: p.Title, Date: p.PublishedAt,
				Key: fmt.Sprintf("%s:%s:%d:%d", notify.Policy, p.Slug, p.Version, week)})
		}
	}
	return out, nil
}
