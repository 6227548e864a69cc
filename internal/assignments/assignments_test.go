package assignments

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

var testCatalog = StaticCatalog{
	"ai-basics": {Slug: "ai-basics", Title: "AI Basics", Revision: 1, Lessons: []string{"intro", "tools"}, HasQuiz: true},
	"privacy":   {Slug: "privacy", Title: "Customer Data Privacy", Revision: 1, Lessons: []string{"consent"}},
}

// world is the assignments service with the identity service wired to it,
// as the application wires them, on one clock.
type world struct {
	t     *testing.T
	db    *store.DB
	clock *clock.Settable
	svc   *Service
	ids   *identity.Service
	n     int
}

var admin = identity.Principal{UserID: "", Roles: identity.Roles{identity.RoleAdmin}}

func newWorld(t *testing.T, db *store.DB) *world {
	clk := clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	svc := New(db, Options{Catalog: testCatalog, Now: clk.Now})
	ids := identity.New(db, identity.Options{Now: clk.Now,
		Params: identity.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	ids.OnMembership = svc.ApplyRules
	return &world{t: t, db: db, clock: clk, svc: svc, ids: ids}
}

func (w *world) user(dept string) string {
	w.t.Helper()
	w.n++
	u, err := w.ids.CreateUser(context.Background(), admin, identity.NewUser{
		Email: fmt.Sprintf("p%d@example.com", w.n), Name: fmt.Sprintf("Person %d", w.n), Department: dept})
	if err != nil {
		w.t.Fatal(err)
	}
	return u.ID
}

func (w *world) assign(r Request) Result {
	w.t.Helper()
	res, err := w.svc.Assign(context.Background(), "hr-1", r)
	if err != nil {
		w.t.Fatalf("assign %+v: %v", r, err)
	}
	return res
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.R.Raw(query, args...).Scan(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) mine(userID string) []View {
	w.t.Helper()
	v, _, err := w.svc.Mine(context.Background(), userID, page.Request{})
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func fieldOf(err error) string {
	e := fault.As(err)
	if len(e.Fields) == 0 {
		return ""
	}
	return string(e.Code) + ":" + e.Fields[0].Field
}

func TestAssignUsersAndDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ann, bob, cat := w.user("Brand"), w.user("Brand"), w.user("Performance")
		gone := w.user("Brand")
		if _, err := w.ids.UpdateUser(context.Background(), admin, gone, identity.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		due := w.clock.Now().AddDate(0, 0, 14)
		// Cat listed and Ann twice (by id and by department): each counts once;
		// the disabled member of Brand is left out.
		res := w.assign(Request{Module: "ai-basics", UserIDs: []string{cat, ann}, Departments: []string{"Brand", " Brand "}, DueAt: &due})
		if res != (Result{Assigned: 3}) {
			t.Fatalf("first assign = %+v", res)
		}
		later := due.AddDate(0, 1, 0)
		res = w.assign(Request{Module: "ai-basics", Departments: []string{"Brand"}, DueAt: &later, GraceDays: ptr(7)})
		if res != (Result{AlreadyAssigned: 2}) {
			t.Fatalf("second assign = %+v", res)
		}
		for id, want := range map[string]time.Time{ann: later, bob: later, cat: due} {
			got := w.mine(id)
			if len(got) != 1 || !got[0].DueAt.Equal(want) || got[0].ModuleTitle != "AI Basics" || got[0].Status != NotStarted {
				t.Errorf("assignments of %s = %+v, want due %s", id, got, want)
			}
		}
		if n := w.count("SELECT COUNT(*) FROM assignments WHERE grace_days = 7"); n != 2 {
			t.Errorf("%d assignments with the new grace period, want 2", n)
		}
		if n := w.count("SELECT COUNT(*) FROM audit_events WHERE action = ?", audit.AssignmentMade); n != 2 {
			t.Errorf("%d audit events, want 2", n)
		}
	})
}

func TestAssignRejectsAndAssignsNothing(t *testing.T) {
	w := newWorld(t, storetest.SQLite(t))
	ann := w.user("Brand")
	due := w.clock.Now().AddDate(0, 0, 7)
	cases := []struct {
		r     Request
		field string
	}{
		{Request{Module: "no-such", UserIDs: []string{ann}, DueAt: &due}, "invalid:module"},
		{Request{Module: "", UserIDs: []string{ann}, DueAt: &due}, "invalid:module"},
		{Request{Module: "ai-basics", UserIDs: []string{ann, "nobody-1"}, Departments: []string{"Brand"}, DueAt: &due}, "invalid:user_ids"},
		{Request{Module: "ai-basics", DueAt: &due}, "invalid:user_ids"},
		{Request{Module: "ai-basics", UserIDs: []string{ann}}, "invalid:due_at"},
		{Request{Module: "ai-basics", Departments: []string{""}, DueAt: &due}, "invalid:departments"},
		{Request{Module: "ai-basics", UserIDs: []string{ann}, IncludeNewMembers: true, DueInDays: ptr(30)}, "invalid:departments"},
		{Request{Module: "ai-basics", Departments: []string{"Brand"}, IncludeNewMembers: true, DueAt: &due}, "invalid:due_in_days"},
		{Request{Module: "ai-basics", UserIDs: []string{ann}, DueInDays: ptr(0)}, "invalid:due_in_days"},
		{Request{Module: "ai-basics", UserIDs: []string{ann}, DueAt: &due, GraceDays: ptr(-1)}, "invalid:grace_days"},
	}
	for _, tc := range cases {
		_, err := w.svc.Assign(context.Background(), "hr-1", tc.r)
		if got := fieldOf(err); got != tc.field {
			t.Errorf("%+v: error %v (%s), want %s", tc.r, err, got, tc.field)
		}
	}
	if n := w.count("SELECT COUNT(*) FROM assignments"); n != 0 {
		t.Fatalf("%d assignments after rejected requests", n)
	}
	_, err := w.svc.Assign(context.Background(), "", Request{Module: "ai-basics", UserIDs: []string{ann, "x", "y"}, DueAt: &due})
	if msg := fault.As(err).Fields[0].Message; !strings.Contains(msg, "2 unknown user id(s): x, y") {
		t.Errorf("message %q does not name the unknown ids", msg)
	}
	// due_in_days alone sets the due date from now.
	w.assign(Request{Module: "ai-basics", UserIDs: []string{ann}, DueInDays: ptr(10)})
	if got := w.mine(ann); !got[0].DueAt.Equal(w.clock.Now().AddDate(0, 0, 10)) {
		t.Errorf("due = %s", got[0].DueAt)
	}
}

// A department longer than any a person can be in is refused, not stored
// as a standing rule (PostgreSQL cannot index so long a key: it was a 500).
func TestAssignRefusesOverlongDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var b strings.Builder // text that does not compress, as PostgreSQL would before indexing it
		for i := range 2000 {
			fmt.Fprintf(&b, "%x", i*7919)
		}
		long := b.String()
		_, err := w.svc.Assign(context.Background(), "hr-1", Request{Module: "ai-basics", Departments: []string{long},
			IncludeNewMembers: true, DueInDays: ptr(30)})
		if got := fieldOf(err); got != "invalid:departments" {
			t.Fatalf("error %v (%s), want invalid:departments", err, got)
		}
		if n := w.count("SELECT COUNT(*) FROM assignment_rules"); n != 0 {
			t.Fatalf("%d rules stored", n)
		}
	})
}

// insertRecord writes a completion record straight into the table.
func insertRecord(t *testing.T, db *store.DB, user, module string, cycle int, issued time.Time, expires *time.Time) {
	t.Helper()
	if err := db.W.Exec(`INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at) VALUES (?, ?, 1, ?, ?)
		ON CONFLICT DO NOTHING`, user, module, issued, issued).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.W.Exec(`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, holder_name, issued_at, expires_at, credential)
		VALUES (?, ?, ?, 't', 1, 'h', ?, 'n', ?, ?, 'jws')`, fmt.Sprintf("r-%s-%d", user, cycle), user, module, cycle, issued, expires).Error; err != nil {
		t.Fatal(err)
	}
}

func TestListStatusOverdueAndRecertification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		now := w.clock.Now()
		ann, bob, cat := w.user("Brand"), w.user("Brand"), w.user("Performance")
		due := now.AddDate(0, 0, 7)
		w.assign(Request{Module: "ai-basics", UserIDs: []string{ann, bob, cat}, DueAt: &due, GraceDays: ptr(10)})
		w.assign(Request{Module: "privacy", UserIDs: []string{ann}, DueAt: &due})
		// Ann completes ai-basics with a record valid for 30 days.
		insertRecord(t, db, ann, "ai-basics", 0, now, ptr(now.AddDate(0, 0, 30)))

		list := func(f Filter) []string {
			t.Helper()
			v, _, err := w.svc.List(context.Background(), f, page.Request{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range v {
				who := map[string]string{ann: "ann", bob: "bob", cat: "cat"}[a.UserID]
				out = append(out, fmt.Sprintf("%s/%s/%s/%v", who, a.Module, a.Status, a.Overdue))
			}
			return out
		}
		want := func(f Filter, rows ...string) {
			t.Helper()
			if got := list(f); !slices.Equal(got, rows) {
				t.Errorf("%+v:\n got %q\nwant %q", f, got, rows)
			}
		}
		want(Filter{}, "ann/ai-basics/completed/false", "bob/ai-basics/not_started/false", "cat/ai-basics/not_started/false", "ann/privacy/not_started/false")
		want(Filter{Department: "Performance"}, "cat/ai-basics/not_started/false")
		want(Filter{Module: "privacy"}, "ann/privacy/not_started/false")
		want(Filter{Overdue: ptr(true)})

		w.clock.Advance(8 * 24 * time.Hour) // past the due date
		want(Filter{Overdue: ptr(true)}, "bob/ai-basics/not_started/true", "cat/ai-basics/not_started/true", "ann/privacy/not_started/true")
		want(Filter{Overdue: ptr(false)}, "ann/ai-basics/completed/false")
		want(Filter{Overdue: ptr(true), Department: "Brand", Module: "ai-basics"}, "bob/ai-basics/not_started/true")

		// Day 31: Ann's record has expired; ai-basics is due again at the
		// expiry plus ten grace days, and overdue after that.
		w.clock.Advance(23 * 24 * time.Hour)
		mine := w.mine(ann) // soonest due first: privacy (overdue since day 7), then ai-basics
		if len(mine) != 2 || mine[1].Module != "ai-basics" || mine[1].Status != Expired || mine[1].Overdue ||
			!mine[1].DueAt.Equal(now.AddDate(0, 0, 40)) {
			t.Errorf("after expiry: %+v", mine)
		}
		w.clock.Advance(10 * 24 * time.Hour)
		if mine := w.mine(ann); !mine[1].Overdue || mine[1].Status != Expired {
			t.Errorf("after the grace period: %+v", mine)
		}
		// A new record completes it again.
		insertRecord(t, db, ann, "ai-basics", 1, w.clock.Now(), ptr(w.clock.Now().AddDate(1, 0, 0)))
		want(Filter{Module: "ai-basics", Department: "Brand"}, "ann/ai-basics/completed/false", "bob/ai-basics/not_started/true")

		if _, _, err := w.svc.List(context.Background(), Filter{Module: "nope"}, page.Request{}); fieldOf(err) != "invalid:module" {
			t.Errorf("unknown module filter: %v", err)
		}
	})
}

func TestListPages(t *testing.T) {
	w := newWorld(t, storetest.SQLite(t))
	var ids []string
	for range 5 {
		ids = append(ids, w.user("Brand"))
	}
	due := w.clock.Now().Add(-time.Hour)
	w.assign(Request{Module: "ai-basics", UserIDs: ids, DueAt: &due, AllowPastDue: true})
	var seen []string
	p := page.Request{Limit: 2}
	for range 10 {
		v, next, err := w.svc.List(context.Background(), Filter{Overdue: ptr(true)}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range v {
			seen = append(seen, a.UserID)
		}
		if next == "" {
			break
		}
		if p, err = page.Parse("2", next); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("pages gave %v, want %v in the order assigned", seen, ids)
	}
}

func TestDelete(t *testing.T) {
	w := newWorld(t, storetest.SQLite(t))
	ann := w.user("Brand")
	due := w.clock.Now().AddDate(0, 0, 7)
	w.assign(Request{Module: "ai-basics", UserIDs: []string{ann}, DueAt: &due})
	v, _, _ := w.svc.List(context.Background(), Filter{}, page.Request{})
	if err := w.svc.Delete(context.Background(), "hr-1", v[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Delete(context.Background(), "hr-1", v[0].ID); !fault.Is(err, fault.NotFound) {
		t.Errorf("second delete: %v", err)
	}
	if len(w.mine(ann)) != 0 {
		t.Error("assignment still listed")
	}
	if n := w.count("SELECT COUNT(*) FROM audit_events WHERE action = ? AND target = ?", audit.AssignmentDelete, v[0].ID); n != 1 {
		t.Errorf("%d delete events", n)
	}
}

func TestStandingRulesFollowNewcomers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		old := w.user("Brand")
		due := w.clock.Now().AddDate(0, 0, 14)
		res := w.assign(Request{Module: "ai-basics", Departments: []string{"Brand"}, DueAt: &due,
			IncludeNewMembers: true, DueInDays: ptr(30), GraceDays: ptr(5)})
		if res.Assigned != 1 {
			t.Fatalf("assign = %+v", res)
		}
		// Created a day later: due 30 days from then.
		w.clock.Advance(24 * time.Hour)
		created := w.user("Brand")
		if got := w.mine(created); len(got) != 1 || !got[0].DueAt.Equal(w.clock.Now().AddDate(0, 0, 30)) {
			t.Errorf("created member: %+v", got)
		}
		// Moved in by PATCH, another day later.
		mover := w.user("Performance")
		w.clock.Advance(24 * time.Hour)
		if _, err := w.ids.UpdateUser(ctx, admin, mover, identity.UserPatch{Department: ptr("Brand")}); err != nil {
			t.Fatal(err)
		}
		if got := w.mine(mover); len(got) != 1 || !got[0].DueAt.Equal(w.clock.Now().AddDate(0, 0, 30)) {
			t.Errorf("moved member: %+v", got)
		}
		// Imported: one new, one moved, one staying elsewhere.
		w.user("Legal") // p4
		csv := "email,name,department,employee_id\n" +
			"new@example.com,New Person,Brand,N1\n" +
			"p4@example.com,Person 4,Brand,\n" +
			"other@example.com,Other,Legal,O1\n"
		if _, err := w.ids.ImportCSV(ctx, admin, strings.NewReader(csv)); err != nil {
			t.Fatal(err)
		}
		if n := w.count("SELECT COUNT(*) FROM assignments a JOIN users u ON u.id = a.user_id WHERE u.email IN ('new@example.com', 'p4@example.com') AND a.rule_id IS NOT NULL AND a.grace_days = 5"); n != 2 {
			t.Errorf("%d imported members assigned by the rule, want 2", n)
		}
		if n := w.count("SELECT COUNT(*) FROM assignments a JOIN users u ON u.id = a.user_id WHERE u.email = 'other@example.com'"); n != 0 {
			t.Error("a Legal newcomer was assigned a Brand module")
		}
		// The old member keeps the due date HR gave; moving again changes nothing.
		if got := w.mine(old); !got[0].DueAt.Equal(due) {
			t.Errorf("old member's due date changed: %+v", got)
		}
		rules, _, err := w.svc.ListRules(ctx, RuleFilter{}, page.Request{})
		if err != nil || len(rules) != 1 || rules[0].DueInDays != 30 || rules[0].GraceDays != 5 || rules[0].Department != "Brand" {
			t.Fatalf("rules = %+v, %v", rules, err)
		}
		// Re-posting updates the rule rather than adding one.
		w.assign(Request{Module: "ai-basics", Departments: []string{"Brand"}, DueAt: &due, IncludeNewMembers: true, DueInDays: ptr(60)})
		rules, _, _ = w.svc.ListRules(ctx, RuleFilter{Department: "Brand"}, page.Request{})
		if len(rules) != 1 || rules[0].DueInDays != 60 || rules[0].GraceDays != 5 {
			t.Fatalf("rules after re-posting = %+v", rules)
		}
		// Ended: newcomers are no longer assigned; what it assigned stays.
		if err := w.svc.DeleteRule(ctx, "hr-1", rules[0].ID); err != nil {
			t.Fatal(err)
		}
		if late := w.user("Brand"); len(w.mine(late)) != 0 {
			t.Error("assigned after the rule ended")
		}
		if len(w.mine(created)) != 1 {
			t.Error("ending the rule removed its assignments")
		}
		if err := w.svc.DeleteRule(ctx, "hr-1", rules[0].ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

// TestDepartmentsMatchWithoutCase: departments are stored with their first
// spelling and matched without regard to case; a department with no
// members is refused, naming the known ones, unless the request makes a
// standing rule, whose spelling then becomes the department's.
func TestDepartmentsMatchWithoutCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.user("Marketing"), w.user("MARKETING ")
		if u, _ := w.ids.GetUser(context.Background(), b); u.Department != "Marketing" {
			t.Fatalf("second spelling stored as %q", u.Department)
		}
		due := w.clock.Now().AddDate(0, 1, 0)
		if res := w.assign(Request{Module: "ai-basics", Departments: []string{"marketing"}, DueAt: &due}); res.Assigned != 2 {
			t.Fatalf("assigned %d of %s, %s", res.Assigned, a, b)
		}
		_, err := w.svc.Assign(context.Background(), "hr-1", Request{Module: "ai-basics", Departments: []string{"Sales"}, DueAt: &due})
		fe := fault.As(err)
		if fe.Code != fault.Invalid || fe.Fields[0].Field != "departments" || !strings.Contains(fe.Message, `"Sales" has no enabled members (known departments: Marketing)`) ||
			fmt.Sprint(fe.Ext["known_departments"]) != "[Marketing]" {
			t.Fatalf("empty department: %v", err)
		}
		w.assign(Request{Module: "ai-basics", Departments: []string{"Sales"}, IncludeNewMembers: true, DueInDays: ptr(14)})
		newcomer := w.user("SALES")
		if u, _ := w.ids.GetUser(context.Background(), newcomer); u.Department != "Sales" {
			t.Fatalf("newcomer's department stored as %q", u.Department)
		}
		if n := w.count("SELECT COUNT(*) FROM assignments WHERE user_id = ?", newcomer); n != 1 {
			t.Fatalf("newcomer has %d assignments", n)
		}
		if canon, _ := identity.CanonicalDepartments(db.W, w.clock.Now(), []string{"sales", "New Team"}); canon["sales"] != "Sales" || canon["New Team"] != "New Team" {
			t.Fatalf("canonical = %v", canon)
		}
	})
}

func TestPastDueNeedsAllowPastDue(t *testing.T) {
	w := newWorld(t, storetest.SQLite(t))
	ann := w.user("Brand")
	past := w.clock.Now().Add(-time.Hour)
	_, err := w.svc.Assign(context.Background(), "hr-1", Request{Module: "ai-basics", UserIDs: []string{ann}, DueAt: &past})
	if fieldOf(err) != "invalid:due_at" || !strings.Contains(err.Error(), "allow_past_due") {
		t.Fatalf("past due: %v", err)
	}
	w.assign(Request{Module: "ai-basics", UserIDs: []string{ann}, DueAt: &past, AllowPastDue: true})
}

// TestAssignCountsPeopleBlockedByPrerequisites: people without a valid
// record of a prerequisite (none, expired or revoked) are counted.
func TestAssignCountsPeopleBlockedByPrerequisites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cat := StaticCatalog{"ai-basics": testCatalog["ai-basics"], "privacy": testCatalog["privacy"],
			"advanced": {Slug: "advanced", Title: "Advanced", Revision: 1, Lessons: []string{"x"}, Prerequisites: []string{"ai-basics", "privacy"}}}
		w.svc = New(db, Options{Catalog: cat, Now: w.clock.Now})
		ready, expired, none := w.user("Brand"), w.user("Brand"), w.user("Brand")
		now := w.clock.Now()
		record := func(id, user, module string, expires *time.Time) {
			err := db.W.Exec(`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, holder_name, issued_at, expires_at, credential)
				VALUES (?, ?, ?, 'T', 1, 'h', 1, 'N', ?, ?, 'c')`, id, user, module, now.AddDate(0, -2, 0), expires).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		record("r1", ready, "ai-basics", nil)
		record("r2", ready, "privacy", nil)
		gone := now.AddDate(0, 0, -1)
		record("r3", expired, "ai-basics", nil)
		record("r4", expired, "privacy", &gone)
		due := now.AddDate(0, 1, 0)
		res := w.assign(Request{Module: "advanced", UserIDs: []string{ready, expired, none}, DueAt: &due})
		if res.Assigned != 3 || res.BlockedByPrerequisites != 2 {
			t.Fatalf("result = %+v", res)
		}
	})
}

func TestStandingRulesSkipArchivedModules(t *testing.T) {
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	cat := StaticCatalog{"ai-basics": testCatalog["ai-basics"]}
	w.svc = New(db, Options{Catalog: cat, Now: w.clock.Now})
	w.ids.OnMembership = w.svc.ApplyRules
	due := w.clock.Now().AddDate(0, 0, 14)
	w.assign(Request{Module: "ai-basics", Departments: []string{"Brand"}, DueAt: &due, IncludeNewMembers: true, DueInDays: ptr(30)})
	info := cat["ai-basics"]
	info.Archived = true
	cat["ai-basics"] = info
	if got := w.mine(w.user("Brand")); len(got) != 0 {
		t.Fatalf("a newcomer was assigned an archived module: %+v", got)
	}
	info.Archived = false
	cat["ai-basics"] = info
	if got := w.mine(w.user("Brand")); len(got) != 1 {
		t.Fatalf("after unarchiving, the rule assigns again: %+v", got)
	}
}
