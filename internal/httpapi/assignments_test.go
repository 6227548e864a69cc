package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

type (
	assignmentBody struct {
		ID         string `json:"id"`
		UserID     string `json:"user_id"`
		Module     string `json:"module"`
		DueAt      string `json:"due_at"`
		AssignedAt string `json:"assigned_at"`
		Status     string `json:"status"`
		Overdue    bool   `json:"overdue"`
	}
	myAssignmentBody struct {
		Module      string `json:"module"`
		ModuleTitle string `json:"module_title"`
		DueAt       string `json:"due_at"`
		AssignedAt  string `json:"assigned_at"`
		Status      string `json:"status"`
		Overdue     bool   `json:"overdue"`
	}
)

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// complete takes the course through lessons and a passing attempt.
func complete(t *testing.T, c *apitest.Client, slug string) resultBody {
	t.Helper()
	finishLessons(t, c, slug)
	var a attemptBody
	c.Post("/api/v1/modules/"+slug+"/attempts", nil).Want(t, http.StatusCreated).Decode(t, &a)
	var res resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
	if res.Completion == nil {
		t.Fatalf("no record after passing: %+v", res)
	}
	return res
}

func myAssignments(t *testing.T, c *apitest.Client) []myAssignmentBody {
	t.Helper()
	var l list[myAssignmentBody]
	c.Get("/api/v1/me/assignments").Want(t, http.StatusOK).Decode(t, &l)
	return l.Items
}

func listAssignments(t *testing.T, c *apitest.Client, query string) []assignmentBody {
	t.Helper()
	var l list[assignmentBody]
	c.Get("/api/v1/assignments"+query).Want(t, http.StatusOK).Decode(t, &l)
	return l.Items
}

// HR assigns a course to a department and a person; the learners see it,
// one completes it, the others fall overdue, and a year later the record
// expires and the course is due again.
func TestAssignmentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "valid_for: 365d")).Want(t, http.StatusCreated)
		// Access tokens live 15 minutes of the test clock: sign in afresh
		// after moving it.
		_, hrUser := e.as(identity.RoleHR)
		ann, bob, cat := e.userIn("Brand"), e.userIn("Brand"), e.userIn("Performance")
		as := func(u identity.User) *apitest.Client { return e.c.As(e.token(u)) }
		hrC, annC, catC := as(hrUser), as(ann), as(cat)
		start := e.clock.Now()
		due := start.AddDate(0, 0, 7)

		body := map[string]any{"module": "fair-ai", "user_ids": []string{cat.ID}, "departments": []string{"Brand"}, "due_at": rfc(due)}
		got := hrC.Post("/api/v1/assignments", body).Want(t, http.StatusCreated).Map(t)
		if got["assigned"] != 3.0 || got["already_assigned"] != 0.0 {
			t.Fatalf("first assign = %v", got)
		}
		got = hrC.Post("/api/v1/assignments", body).Want(t, http.StatusCreated).Map(t)
		if got["assigned"] != 0.0 || got["already_assigned"] != 3.0 {
			t.Fatalf("second assign = %v", got)
		}

		// Nothing is assigned when any part is wrong.
		hrC.Post("/api/v1/assignments", map[string]any{"module": "no-such", "user_ids": []string{ann.ID}, "due_at": rfc(due)}).Want(t, http.StatusUnprocessableEntity)
		res := hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{bob.ID, "ghost"}, "due_at": rfc(due.AddDate(0, 1, 0))}).
			Want(t, http.StatusUnprocessableEntity)
		if errs := res.Map(t)["errors"].([]any); errs[0].(map[string]any)["field"] != "user_ids" {
			t.Errorf("errors = %v", errs)
		}
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{bob.ID}, "due_at": "next week"}).Want(t, http.StatusUnprocessableEntity)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{bob.ID}}).Want(t, http.StatusUnprocessableEntity)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "users": []string{bob.ID}, "due_at": rfc(due)}).Want(t, http.StatusBadRequest)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{bob.ID}, "due_in_days": "7"}).Want(t, http.StatusBadRequest)

		// An assigned module is among the learner's enrollments before they
		// open it.
		var enrolled list[map[string]any]
		annC.Get("/api/v1/me/enrollments").Want(t, http.StatusOK).Decode(t, &enrolled)
		if len(enrolled.Items) != 1 || enrolled.Items[0]["module"] != "fair-ai" || enrolled.Items[0]["status"] != "not_started" {
			t.Fatalf("ann's enrollments = %+v", enrolled.Items)
		}

		all := listAssignments(t, hrC, "")
		if len(all) != 3 {
			t.Fatalf("assignments = %+v", all)
		}
		for _, a := range all {
			if a.DueAt != rfc(due) || a.AssignedAt != rfc(start) || a.Status != "not_started" || a.Overdue {
				t.Errorf("assignment = %+v", a)
			}
		}
		if brand := listAssignments(t, hrC, "?department=Brand&module=fair-ai"); len(brand) != 2 {
			t.Errorf("Brand = %+v", brand)
		}
		hrC.Get("/api/v1/assignments?overdue=maybe").Want(t, http.StatusBadRequest)
		hrC.Get("/api/v1/assignments?module=nope").Want(t, http.StatusUnprocessableEntity)
		hrC.Get("/api/v1/assignments?limit=0").Want(t, http.StatusBadRequest)

		mine := myAssignments(t, annC)
		if len(mine) != 1 || mine[0].Module != "fair-ai" || mine[0].ModuleTitle != "Fair AI" || mine[0].Status != "not_started" {
			t.Fatalf("ann's assignments = %+v", mine)
		}
		rec := complete(t, annC, "fair-ai").Completion
		catC.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
		if mine := myAssignments(t, annC); mine[0].Status != "completed" || mine[0].Overdue {
			t.Errorf("after completing: %+v", mine)
		}

		e.clock.Advance(8 * 24 * time.Hour)
		hrC, catC = as(hrUser), as(cat)
		overdue := listAssignments(t, hrC, "?overdue=true")
		if len(overdue) != 2 || overdue[0].UserID == ann.ID || overdue[1].UserID == ann.ID {
			t.Errorf("overdue = %+v", overdue)
		}
		if mine := myAssignments(t, catC); mine[0].Status != "in_progress" || !mine[0].Overdue {
			t.Errorf("cat = %+v", mine)
		}

		// A year on the record has expired: due again on its expiry date.
		e.clock.Advance(365 * 24 * time.Hour)
		hrC, annC = as(hrUser), as(ann)
		mine = myAssignments(t, annC)
		if mine[0].Status != "expired" || !mine[0].Overdue || mine[0].DueAt != *rec.ExpiresAt {
			t.Errorf("after expiry: %+v, record expired at %s", mine, *rec.ExpiresAt)
		}
		// HR re-assigns with a grace period: no longer overdue until then.
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{ann.ID},
			"due_at": rfc(e.clock.Now().AddDate(0, 0, 14)), "grace_days": 30}).Want(t, http.StatusCreated)
		expires, _ := time.Parse(time.RFC3339, *rec.ExpiresAt)
		if mine := myAssignments(t, annC); mine[0].Overdue || mine[0].DueAt != rfc(expires.AddDate(0, 0, 30)) {
			t.Errorf("after re-assigning with grace: %+v", mine)
		}

		hrC.Delete("/api/v1/assignments/"+overdue[0].ID).Want(t, http.StatusNoContent)
		hrC.Delete("/api/v1/assignments/"+overdue[0].ID).Want(t, http.StatusNotFound)
		if n := len(listAssignments(t, hrC, "")); n != 2 {
			t.Errorf("%d assignments after delete", n)
		}
		if n := countAudit(t, e, audit.AssignmentMade); n != 3 {
			t.Errorf("%d assignment events, want 3", n)
		}
		var actor string
		e.db.R.Raw("SELECT actor_id FROM audit_events WHERE action = ? ORDER BY id LIMIT 1", audit.AssignmentMade).Scan(&actor)
		if actor != hrUser.ID {
			t.Errorf("audited actor %q, want %q", actor, hrUser.ID)
		}
	})
}

// A standing rule assigns whoever joins the department later, created
// through the API, imported, or moved there, due from the day they join.
func TestStandingRulesAPI(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	hrC, hrUser := e.as(identity.RoleHR)
	hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Brand"},
		"include_new_members": true}).Want(t, http.StatusUnprocessableEntity)
	got := hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Brand"},
		"include_new_members": true, "due_in_days": 30}).Want(t, http.StatusCreated).Map(t)
	if got["assigned"] != 0.0 {
		t.Fatalf("assign to an empty department = %v", got)
	}
	var rules list[map[string]any]
	hrC.Get("/api/v1/assignment-rules").Want(t, http.StatusOK).Decode(t, &rules)
	if len(rules.Items) != 1 || rules.Items[0]["due_in_days"] != 30.0 {
		t.Fatalf("rules = %+v", rules)
	}

	e.clock.Advance(48 * time.Hour)
	hrC = e.c.As(e.token(hrUser))
	created := hrC.Post("/api/v1/users", map[string]any{"email": "new@example.com", "name": "New Person", "department": "Brand"}).
		Want(t, http.StatusCreated).Map(t)
	e.clock.Advance(24 * time.Hour)
	hrC = e.c.As(e.token(hrUser))
	hrC.Do("POST", "/api/v1/users/import", "email,name,department,employee_id\nimported@example.com,Imported,Brand,I-1\n",
		apitest.Header("Content-Type", "text/csv")).Want(t, http.StatusOK)
	mover := e.userIn("Legal")
	e.clock.Advance(24 * time.Hour)
	hrC = e.c.As(e.token(hrUser))
	hrC.Patch("/api/v1/users/"+mover.ID, map[string]any{"department": "Brand"}).Want(t, http.StatusOK)

	items := listAssignments(t, hrC, "?department=Brand")
	if len(items) != 3 {
		t.Fatalf("Brand assignments = %+v", items)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, days := range []int{2, 3, 4} { // joined on day 2, 3 and 4
		joined := start.AddDate(0, 0, days)
		if items[i].AssignedAt != rfc(joined) || items[i].DueAt != rfc(joined.AddDate(0, 0, 30)) {
			t.Errorf("assignment %d = %+v, want assigned %s due 30 days later", i, items[i], rfc(joined))
		}
	}
	if items[0].UserID != created["id"] || items[2].UserID != mover.ID {
		t.Errorf("assignments in the wrong order: %+v", items)
	}
	hrC.Delete("/api/v1/assignment-rules/"+rules.Items[0]["id"].(string)).Want(t, http.StatusNoContent)
	hrC.Delete("/api/v1/assignment-rules/"+rules.Items[0]["id"].(string)).Want(t, http.StatusNotFound)
	e.userIn("Brand")
	if n := len(listAssignments(t, hrC, "?department=Brand")); n != 3 {
		t.Errorf("%d Brand assignments after the rule ended, want 3", n)
	}
}

// Learners may see their own assignments and nothing of HR's.
func TestAssignmentAndReportRoutesForbidLearners(t *testing.T) {
	e := newTestEnv(t)
	c, _ := e.as(identity.RoleLearner)
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v1/assignments"}, {"GET", "/api/v1/assignments"}, {"DELETE", "/api/v1/assignments/x"},
		{"GET", "/api/v1/assignment-rules"}, {"DELETE", "/api/v1/assignment-rules/x"},
		{"GET", "/api/v1/reports/completions"}, {"GET", "/api/v1/reports/completions?format=xlsx"},
		{"GET", "/api/v1/reports/summary?group_by=department"},
	} {
		var body any
		if r.method == "POST" {
			body = map[string]any{"module": "x"}
		}
		if got := c.Do(r.method, r.path, body).Status; got != http.StatusForbidden {
			t.Errorf("%s %s as a learner: %d, want 403", r.method, r.path, got)
		}
	}
	c.Get("/api/v1/me/assignments").Want(t, http.StatusOK)
	if got := fmt.Sprint(myAssignments(t, c)); got != "[]" {
		t.Errorf("a new learner's assignments = %s", got)
	}
}

// TestAssignmentGuardrails: case-insensitive departments, 422 for an
// empty department naming the known ones, refused past due dates, and the
// blocked_by_prerequisites count in the answer.
func TestAssignmentGuardrails(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	e.userIn("Field Sales")
	e.userIn("Field Sales")
	publishCourse(t, e, "fair-ai", "Fair AI")
	publishCourse(t, e, "fair-ai-2", "Fair AI 2", "prerequisites: [fair-ai]")
	due := e.clock.Now().AddDate(0, 1, 0)
	res := hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"FIELD SALES"}, "due_at": rfc(due)}).
		Want(t, http.StatusCreated).Map(t)
	if res["assigned"] != 2.0 || res["blocked_by_prerequisites"] != 0.0 {
		t.Fatalf("assign = %v", res)
	}
	p := hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Sales"}, "due_at": rfc(due)}).
		Want(t, http.StatusUnprocessableEntity).Map(t)
	if !strings.Contains(fmt.Sprint(p["known_departments"]), "Field Sales") || !strings.Contains(fmt.Sprint(p["detail"]), "include_new_members") {
		t.Fatalf("empty department = %v", p)
	}
	past := e.clock.Now().AddDate(0, 0, -1)
	hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Field Sales"}, "due_at": rfc(past)}).
		Want(t, http.StatusUnprocessableEntity)
	hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Field Sales"}, "due_at": rfc(past),
		"allow_past_due": true}).Want(t, http.StatusCreated)
	var list struct{ Items []any }
	hrC.Get("/api/v1/assignments?department=field%20sales").Want(t, 200).Decode(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("listed %d", len(list.Items))
	}
	res = hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai-2", "departments": []string{"field sales"}, "due_at": rfc(due)}).
		Want(t, http.StatusCreated).Map(t)
	if res["assigned"] != 2.0 || res["blocked_by_prerequisites"] != 2.0 {
		t.Fatalf("assign with prerequisites = %v", res)
	}
}
