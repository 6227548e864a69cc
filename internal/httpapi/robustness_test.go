package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// PostgreSQL refuses NUL characters and invalid UTF-8 in text parameters;
// such input must answer 400 naming the part of the request, never reach
// the database and come back as a 500.
func TestUnstorableTextIsAClientError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		adminC, _ := e.as(identity.RoleAdmin)
		for _, path := range []string{
			"/api/v1/users/%00", "/api/v1/users/%ff", "/api/v1/users?q=%00", "/api/v1/users?department=%ff",
			"/api/v1/users?cursor=AA", "/api/v1/audit?actor=%00", "/api/v1/audit?action=%ff",
			"/api/v1/records/%00", "/api/v1/records/%ff/verify",
		} {
			res := adminC.Get(path)
			if res.Status != http.StatusBadRequest {
				t.Errorf("GET %s = %d, want 400: %s", path, res.Status, res.Body)
			}
		}
		res := e.c.Post("/api/v1/auth/login", `{"email":"a\u0000@example.com","password":"long enough password"}`).Want(t, 400)
		if !strings.Contains(string(res.Body), `"email"`) {
			t.Errorf("NUL problem does not name the field: %s", res.Body)
		}
		adminC.Post("/api/v1/content/validate", `{"slug":"abc","files":{"module.md":"x\u0000"}}`).Want(t, 400)
		// YAML can spell a NUL in a quoted title: a content problem.
		res = adminC.Put("/api/v1/modules/nul-title", newUpload(`"Nul \0 title"`).body()).Want(t, 422)
		if !hasProblem(problems(t, res), "module.md:2: title must not contain control characters") {
			t.Errorf("problems = %v", problems(t, res))
		}
	})
}

// A login with an absurdly long email is refused as invalid rather than
// failing to store its throttle key (PostgreSQL's index rows are bounded).
func TestLoginWithOverlongEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		var b strings.Builder
		for i := range 3000 {
			fmt.Fprintf(&b, "%x", i*7919)
		}
		res := e.c.Post("/api/v1/auth/login", map[string]string{"email": b.String() + "@example.com", "password": "long enough password"}).Want(t, 422)
		if !strings.Contains(string(res.Body), `"field":"email"`) {
			t.Errorf("problem does not name email: %s", res.Body)
		}
	})
}

// The 422 for a login body names exactly the missing fields.
func TestLoginNamesOnlyMissingFields(t *testing.T) {
	e := newTestEnv(t)
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	e.c.Post("/api/v1/auth/login", map[string]string{"email": "a@b.c"}).Want(t, 422).Decode(t, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "password" {
		t.Fatalf("errors = %+v, want only password", p.Errors)
	}
}

// A taken email or employee id answers 409 naming the field that clashes,
// on PostgreSQL too (where the failed insert aborts the transaction).
func TestUniqueConflictsNameTheField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		adminC, _ := e.as(identity.RoleAdmin)
		taken := e.user()
		other := e.user()
		field := func(res *apitest.Response) string {
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			res.Want(t, http.StatusConflict).Decode(t, &p)
			if len(p.Errors) != 1 {
				t.Fatalf("errors = %+v", p.Errors)
			}
			return p.Errors[0].Field
		}
		if f := field(adminC.Post("/api/v1/users", map[string]any{"email": taken.Email, "name": "Dup"})); f != "email" {
			t.Errorf("create with a taken email names %q", f)
		}
		if f := field(adminC.Post("/api/v1/users", map[string]any{"email": "new@example.com", "name": "Dup", "employee_id": *taken.EmployeeID})); f != "employee_id" {
			t.Errorf("create with a taken employee id names %q", f)
		}
		if f := field(adminC.Patch("/api/v1/users/"+other.ID, map[string]any{"email": taken.Email})); f != "email" {
			t.Errorf("patch to a taken email names %q", f)
		}
		if f := field(adminC.Patch("/api/v1/users/"+other.ID, map[string]any{"employee_id": *taken.EmployeeID})); f != "employee_id" {
			t.Errorf("patch to a taken employee id names %q", f)
		}
	})
}

// Patches of different fields that arrive together all survive: a patch
// reads the user in the transaction that writes it back.
func TestConcurrentPatchesKeepEveryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		adminC, _ := e.as(identity.RoleAdmin)
		for round := range 10 {
			u := e.user()
			want := map[string]string{
				"name":        fmt.Sprintf("Renamed %d", round),
				"department":  fmt.Sprintf("Moved %d", round),
				"employee_id": fmt.Sprintf("R%d-%s", round, u.ID[:8]),
				"email":       fmt.Sprintf("changed%d-%s@example.com", round, u.ID[:8]),
			}
			var wg sync.WaitGroup
			for field, value := range want {
				wg.Go(func() {
					adminC.Patch("/api/v1/users/"+u.ID, map[string]any{field: value}).Want(t, 200)
				})
			}
			wg.Wait()
			got := adminC.Get("/api/v1/users/"+u.ID).Want(t, 200).Map(t)
			for field, value := range want {
				if got[field] != value {
					t.Fatalf("round %d: %s = %v, want %q (a concurrent patch wrote back a stale copy)", round, field, got[field], value)
				}
			}
		}
	})
}

// Two imports creating the same new people at once never answer 5xx.
func TestConcurrentImportsOfNewUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		adminC, _ := e.as(identity.RoleAdmin)
		for round := range 5 {
			file := "email,name,department,employee_id\n"
			for i := range 50 {
				file += fmt.Sprintf("r%d-p%d@example.com,Person %d,Sales,\n", round, i, i)
			}
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					res := adminC.Post("/api/v1/users/import", file, csvType)
					if res.Status >= 500 {
						t.Errorf("round %d: concurrent import answered %d: %s", round, res.Status, res.Body)
					}
				})
			}
			wg.Wait()
		}
	})
}

// An import body over the route's limit answers 413 even when its length
// is not declared up front.
func TestImportCSVBodyLimit(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	row := strings.Repeat("x", 1000) + "@example.com,N,D,\n"
	body := io.MultiReader(strings.NewReader("email,name,department,employee_id\n"),
		io.LimitReader(repeatReader(row), 33<<20))
	req := httptest.NewRequest("POST", "/api/v1/users/import", body)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+hrC.Token)
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413: %.300s", rec.Code, rec.Body)
	}
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

// Arbitrary request methods do not each make a new metrics series.
func TestMetricsMethodLabelIsBounded(t *testing.T) {
	s, _ := newFoundationServer(t, Options{MetricsPublic: true})
	for i := range 3 {
		raw(t, s, httptest.NewRequest(fmt.Sprintf("BOGUS%d", i), "/healthz", nil))
	}
	m := string(apitest.NewClient(t, s.Handler()).Get("/metrics").Want(t, 200).Body)
	if strings.Contains(m, "BOGUS") {
		t.Fatal("metrics carry a client-chosen method as a label")
	}
	if !strings.Contains(m, `method="OTHER"`) {
		t.Fatal("unknown methods are not counted as OTHER")
	}
}
