package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

var csvType = apitest.Header("Content-Type", "text/csv; charset=utf-8")

type importErrors struct {
	Errors []struct {
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"errors"`
}

func userCount(t *testing.T, e *testEnv) int64 {
	t.Helper()
	var n int64
	e.db.R.Table("users").Count(&n)
	return n
}

func TestImportCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		hrC, _ := e.as(identity.RoleHR)
		// BOM, CRLF, quoted fields with commas and quotes, columns in another order.
		file := "\ufeffname,email,department,employee_id\r\n" +
			"\"Lovelace, Ada\",ada@example.com,Brand,A1\r\n" +
			"\"Grace \"\"Amazing\"\" Hopper\",GRACE@example.com,\"Performance, EMEA\",A2\r\n" +
			"Alan Turing,alan@example.com,,\r\n"
		res := hrC.Post("/api/v1/users/import", file, csvType).Want(t, 200).Map(t)
		if res["created"] != 3.0 || res["updated"] != 0.0 || res["unchanged"] != 0.0 {
			t.Fatalf("first import = %v", res)
		}
		res = hrC.Post("/api/v1/users/import", file, csvType).Want(t, 200).Map(t)
		if res["created"] != 0.0 || res["updated"] != 0.0 || res["unchanged"] != 3.0 {
			t.Fatalf("second import = %v", res)
		}
		// LF endings, one change.
		changed := "email,name,department,employee_id\nada@example.com,\"Lovelace, Ada\",Brand,A1\ngrace@example.com,Grace Hopper,Performance,A2\n"
		res = hrC.Post("/api/v1/users/import", changed, csvType).Want(t, 200).Map(t)
		if res["updated"] != 1.0 || res["unchanged"] != 1.0 {
			t.Fatalf("changed import = %v", res)
		}
		var u identity.User
		e.db.R.Take(&u, "email = ?", "grace@example.com")
		if u.Name != "Grace Hopper" || u.Department != "Performance" || u.PasswordHash != nil {
			t.Fatalf("grace = %+v", u)
		}
		// An imported user without a password cannot sign in.
		e.c.Post("/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": "whatever it may be"}).Want(t, 401)
		if n := countAudit(t, e, "users.imported"); n != 3 {
			t.Fatalf("import audit events = %d", n)
		}
	})
}

func TestImportCSVRejectsBadLinesAndChangesNothing(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	adminC, _ := e.as(identity.RoleAdmin)
	taken := e.user() // employee id E0000n belongs to them
	before := userCount(t, e)
	file := strings.Join([]string{
		"email,name,department,employee_id",
		"ok@example.com,Fine Person,Brand,B1",                   // 2
		"not-an-email,Bad Email,Brand,B2",                       // 3
		"dup@example.com,First,Brand,B3",                        // 4
		"DUP@example.com,Second,Brand,B4",                       // 5
		"taken@example.com,Taken Id,Brand," + *taken.EmployeeID, // 6
		"short@example.com,Too Few",                             // 7
		"noname@example.com,,Brand,B7",                          // 8
	}, "\n") + "\n"
	var res importErrors
	hrC.Post("/api/v1/users/import", file, csvType).Want(t, 422).Decode(t, &res)
	want := map[int]string{3: "valid email", 5: "appears twice", 6: "belongs to another user", 7: "number of fields", 8: "name is required"}
	got := map[int]string{}
	for _, er := range res.Errors {
		got[er.Line] = er.Message
	}
	for line, msg := range want {
		if !strings.Contains(got[line], msg) {
			t.Errorf("line %d: got %q, want it to mention %q (all: %v)", line, got[line], msg, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors on lines %v, want exactly %v", got, want)
	}
	if after := userCount(t, e); after != before {
		t.Fatalf("users went from %d to %d after a rejected import", before, after)
	}

	// Header problems are reported on line 1.
	hrC.Post("/api/v1/users/import", "email,name\nx@example.com,X\n", csvType).Want(t, 422).Decode(t, &res)
	if len(res.Errors) != 2 || res.Errors[0].Line != 1 {
		t.Fatalf("header errors = %+v", res.Errors)
	}
	hrC.Post("/api/v1/users/import", "", csvType).Want(t, 422)
	hrC.Post("/api/v1/users/import", "email,name,department,employee_id\n\"unterminated,x,y,z\n", csvType).Want(t, 422)
	hrC.Post("/api/v1/users/import", "email,name,department,employee_id\n", apitest.Header("Content-Type", "application/json")).Want(t, 415)

	// Roles: HR may import learners only; admins may grant roles.
	withRoles := "email,name,department,employee_id,roles\ntrainer@example.com,Tina,Brand,T1,trainer;learner\n"
	hrC.Post("/api/v1/users/import", withRoles, csvType).Want(t, 422)
	adminC.Post("/api/v1/users/import", withRoles, csvType).Want(t, 200)
	var tina identity.User
	e.db.R.Take(&tina, "email = ?", "trainer@example.com")
	if !tina.Roles.Has("trainer") || !tina.Roles.Has("learner") {
		t.Fatalf("roles = %v", tina.Roles)
	}
	// HR may not update a non-learner through an import.
	hrC.Post("/api/v1/users/import", "email,name,department,employee_id\ntrainer@example.com,Tina T,Brand,T1\n", csvType).Want(t, 422)
}

func TestImportCSVRowLimit(t *testing.T) {
	e := newTestEnv(t)
	adminC, _ := e.as(identity.RoleAdmin)
	var b strings.Builder
	b.WriteString("email,name,department,employee_id\n")
	for i := range identity.MaxImportRows + 1 {
		fmt.Fprintf(&b, "u%d@example.com,U %d,D,\n", i, i)
	}
	var res importErrors
	adminC.Post("/api/v1/users/import", b.String(), csvType).Want(t, 422).Decode(t, &res)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "more than 100000 rows") {
		t.Fatalf("errors = %+v", res.Errors)
	}
}

// TestImportCSVKeepsAdminRules: an import applies the user API's rules and
// audits as it does: an admin cannot drop their own admin role, and each
// role change or role grant is a user.roles_changed or user.created event.
func TestImportCSVKeepsAdminRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		adminC, me := e.as(identity.RoleAdmin)
		learner := e.user()
		selfDemote := fmt.Sprintf("email,name,department,employee_id,roles\n%s,%s,,,learner\n", me.Email, me.Name)
		var res importErrors
		adminC.Post("/api/v1/users/import", selfDemote, csvType).Want(t, 422).Decode(t, &res)
		if len(res.Errors) != 1 || res.Errors[0].Line != 2 || !strings.Contains(res.Errors[0].Message, "your own admin role") {
			t.Fatalf("errors = %+v", res.Errors)
		}
		if u, _ := e.ids.GetUser(t.Context(), me.ID); !u.Roles.Has(identity.RoleAdmin) {
			t.Fatalf("roles = %v", u.Roles)
		}
		grant := fmt.Sprintf("email,name,department,employee_id,roles\n%s,%s,%s,%s,admin\nnew.hr@example.com,New HR,People,,hr\n",
			learner.Email, learner.Name, learner.Department, *learner.EmployeeID)
		adminC.Post("/api/v1/users/import", grant, csvType).Want(t, 200)
		var ev struct {
			Items []struct {
				Target  string         `json:"target"`
				ActorID string         `json:"actor_id"`
				Details map[string]any `json:"details"`
			} `json:"items"`
		}
		adminC.Get("/api/v1/audit?action=user.roles_changed").Want(t, 200).Decode(t, &ev)
		if len(ev.Items) != 1 || ev.Items[0].Target != learner.ID || ev.Items[0].ActorID != me.ID ||
			fmt.Sprint(ev.Items[0].Details["to"]) != "[admin]" {
			t.Fatalf("roles_changed = %+v", ev.Items)
		}
		adminC.Get("/api/v1/audit?action=user.created").Want(t, 200).Decode(t, &ev)
		found := false
		for _, it := range ev.Items {
			found = found || it.Details["email"] == "new.hr@example.com"
		}
		if !found {
			t.Fatalf("no user.created for the hr grant: %+v", ev.Items)
		}
	})
}

// TestImportCSVHugeInputsAnswerOnTheirLine: the security review's files (a
// header of millions of columns, a line of millions of empty fields)
// answer 422 naming the line (having read one bounded line), and too large a body 413.
func TestImportCSVHugeInputsAnswerOnTheirLine(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	header := "email,name,department,employee_id," + strings.Repeat("x,", (16<<20-40)/2) + "\n"
	fields := "email,name,department,employee_id\na@example.com,A,D,\n" + strings.Repeat(",", 16<<20) + "\n"
	for name, tc := range map[string]struct {
		file string
		line int
	}{"16M header": {header, 1}, "16M fields": {fields, 3}} {
		var res importErrors
		hrC.Post("/api/v1/users/import", tc.file, csvType).Want(t, 422).Decode(t, &res)
		if len(res.Errors) != 1 || res.Errors[0].Line != tc.line {
			t.Fatalf("%s: errors = %+v", name, res.Errors)
		}
	}
	hrC.Post("/api/v1/users/import", strings.Repeat("a", 32<<20+1), csvType).Want(t, 413)
}

// TestImportCSVAsSpreadsheetsWriteIt: semicolons and Windows-1252 from
// Excel, extra columns ignored and listed, departments matched without
// regard to case.
func TestImportCSVAsSpreadsheetsWriteIt(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	e.userIn("Marketing")
	file := "Employee_ID;Email;Name;Department;Job title;Manager\r\n" +
		"7;zoe@example.com;Zo\xeb M\xfcller;MARKETING;Lead;Ann\r\n"
	res := hrC.Post("/api/v1/users/import", file, csvType).Want(t, 200).Map(t)
	if res["created"] != 1.0 || fmt.Sprint(res["ignored_columns"]) != "[Job title Manager]" {
		t.Fatalf("import = %v", res)
	}
	var u identity.User
	e.db.R.Take(&u, "email = ?", "zoe@example.com")
	if u.Name != "Zoë Müller" || u.Department != "Marketing" {
		t.Fatalf("user = %+v", u)
	}
	var list struct{ Items []struct{ Email string } }
	hrC.Get("/api/v1/users?department=marketing&q=zoe").Want(t, 200).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("users in marketing = %+v", list.Items)
	}
}
