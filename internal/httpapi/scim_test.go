package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// scimStep is one request of an identity provider's documented sequence
// (testdata/scim/*.json): "{name}" in a path, body or expectation stands
// for the id a step saved under name.
type scimStep struct {
	Step   string         `json:"step"`
	Method string         `json:"method"`
	Path   string         `json:"path"`
	Body   any            `json:"body"`
	Status int            `json:"status"`
	Save   string         `json:"save"`
	Expect map[string]any `json:"expect"`
}

// runSCIM plays a fixture with a SCIM token; before, when set, runs ahead
// of the step it names.
func runSCIM(t *testing.T, c *apitest.Client, file string, ids map[string]string, before map[string]func()) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var steps []scimStep
	if err := json.Unmarshal(raw, &steps); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	fill := func(s string) string {
		for k, v := range ids {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	for _, st := range steps {
		if f := before[st.Step]; f != nil {
			f()
		}
		var body any
		if st.Body != nil {
			b, _ := json.Marshal(st.Body)
			body = []byte(fill(string(b)))
		}
		res := c.Do(st.Method, fill(st.Path), body, apitest.Header("Content-Type", "application/scim+json"))
		if res.Status != st.Status {
			t.Fatalf("%s: %s %s = %d, want %d\n%s", st.Step, st.Method, st.Path, res.Status, st.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); st.Status != http.StatusNoContent && !strings.HasPrefix(ct, "application/scim+json") {
			t.Fatalf("%s: Content-Type %q", st.Step, ct)
		}
		var got map[string]any
		if len(res.Body) > 0 {
			res.Decode(t, &got)
		}
		if st.Save != "" {
			ids[st.Save], _ = got["id"].(string)
		}
		for path, want := range st.Expect {
			if v := lookup(got, path); fmt.Sprint(v) != fill(fmt.Sprint(want)) {
				t.Fatalf("%s: %s = %v, want %v\n%s", st.Step, path, v, fill(fmt.Sprint(want)), res.Body)
			}
		}
	}
}

// lookup follows a "/"-separated path through objects and arrays.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, "/") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// scimClient creates a provisioning token as an admin and returns a
// client that sends it, and the token's id.
func scimClient(t *testing.T, e *testEnv) (*apitest.Client, string, string) {
	t.Helper()
	adminC, _ := e.as(identity.RoleAdmin)
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	adminC.Post("/api/v1/admin/scim-tokens", map[string]any{"name": "Entra ID"}).Want(t, http.StatusCreated).Decode(t, &tok)
	if tok.Token == "" {
		t.Fatal("token not shown at creation")
	}
	return e.c.As(tok.Token), tok.ID, tok.Token
}

func userRow(t *testing.T, db *store.DB, id string) identity.User {
	t.Helper()
	var u identity.User
	if err := db.R.Take(&u, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

// Entra ID's documented provisioning sequence, asserted against the
// database and the User API: the mapping of DECISIONS.md, the department
// canonicalised, standing rules firing on create and move, groups kept
// apart from departments, active=false disabling and ending sessions at
// once, deletion hiding the person and a later create bringing them back.
func TestSCIMEntraSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		e.userIn("Field Sales")
		e.userIn("Legal")
		publishCourse(t, e, "ai-basics", "AI basics")
		publishCourse(t, e, "ai-law", "AI and the law")
		hrC, _ := e.as(identity.RoleHR)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "ai-basics", "departments": []string{"Field Sales"},
			"include_new_members": true, "due_in_days": 30}).Want(t, http.StatusCreated)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "ai-law", "departments": []string{"Legal"},
			"include_new_members": true, "due_in_days": 30}).Want(t, http.StatusCreated)
		adminC, _ := e.as(identity.RoleAdmin)

		sc, tokenID, _ := scimClient(t, e)
		ids := map[string]string{}
		var access, refresh string
		runSCIM(t, sc, "testdata/scim/entra.json", ids, map[string]func(){
			// Ada signs in before she is disabled.
			"disable: replace active with the string False": func() {
				adminC.Patch("/api/v1/users/"+ids["ada"], map[string]any{"password": e.password}).Want(t, http.StatusOK)
				s := e.login("ada.lovelace@contoso.com", e.password)
				access, refresh = s["access_token"].(string), s["refresh_token"].(string)
				e.c.As(access).Get("/api/v1/me").Want(t, http.StatusOK)
			},
		})

		ada := userRow(t, db, ids["ada"])
		if ada.Email != "ada.lovelace@contoso.com" || ada.Name != "Ada Lovelace-King" || ada.Department != "Legal" ||
			deref(ada.EmployeeID) != "E-100" || deref(ada.ExternalID) != "7d1c9e3b-ada" || deref(ada.ManagerID) != ids["grace"] ||
			deref(ada.ScimUserName) != "ada.l@contoso.com" || !ada.Disabled {
			t.Fatalf("ada in the database = %+v", ada)
		}
		var apiUser map[string]any
		hrC.Get("/api/v1/users/"+ids["ada"]).Want(t, http.StatusOK).Decode(t, &apiUser)
		if apiUser["department"] != "Legal" || apiUser["employee_id"] != "E-100" || apiUser["disabled"] != true ||
			apiUser["manager_id"] != ids["grace"] || apiUser["email"] != "ada.lovelace@contoso.com" {
			t.Fatalf("ada in the User API = %v", apiUser)
		}
		// active=false ended her sessions at once.
		e.c.As(access).Get("/api/v1/me").Want(t, http.StatusUnauthorized)
		e.c.Post("/api/v1/auth/refresh", map[string]any{"refresh_token": refresh}).Want(t, http.StatusUnauthorized)
		// Standing rules: assigned on create (Field Sales) and on the move (Legal).
		modules := map[string]bool{}
		for _, a := range listAssignments(t, hrC, "") {
			if a.UserID == ids["ada"] {
				modules[a.Module] = true
			}
		}
		if !modules["ai-basics"] || !modules["ai-law"] {
			t.Fatalf("ada's assignments = %v", modules)
		}
		// The group holds Ada only and changed nobody's department.
		g, err := e.ids.GetGroup(t.Context(), ids["champions"])
		if err != nil || len(g.Members) != 1 || g.Members[0] != ids["ada"] || deref(g.ExternalID) != "8aa1a0c0-grp" {
			t.Fatalf("group = %+v, %v", g, err)
		}
		// Grace was deleted and created again: the same account, enabled.
		grace := userRow(t, db, ids["grace"])
		if grace.Disabled || grace.ScimDeletedAt != nil || grace.Department != "Legal" {
			t.Fatalf("grace = %+v", grace)
		}
		// The changes are audited under the token.
		var n int64
		db.R.Table("audit_events").Where("actor_id = ?", "scim:"+tokenID).Count(&n)
		if n < 5 {
			t.Fatalf("%d audit events by the SCIM token", n)
		}
	})
}

// Okta's documented sequence: create, PUT, PATCH active without a path,
// groups renamed with the id in the value, members added and removed by
// a filtered path; pagination and an unsupported filter.
func TestSCIMOktaSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		sc, _, _ := scimClient(t, e)
		ids := map[string]string{}
		runSCIM(t, sc, "testdata/scim/okta.json", ids, nil)
		u := userRow(t, db, ids["tu"])
		if u.Name != "Another User" || u.Department != "Support" || deref(u.EmployeeID) != "OK-7" ||
			deref(u.ExternalID) != "00ujl29u0le5T6Aj10h7" || u.Disabled || u.PasswordHash != nil {
			t.Fatalf("okta user = %+v", u)
		}
		var n int64
		db.R.Table("scim_groups").Count(&n)
		if n != 0 {
			t.Fatalf("%d groups left", n)
		}
	})
}

// A SCIM token cannot call the REST API, and a REST token cannot call
// SCIM (the role matrix checks every SCIM route); a revoked SCIM token
// stops at once; tokens are listed without their secret.
func TestSCIMTokens(t *testing.T) {
	e := newTestEnv(t)
	sc, id, plain := scimClient(t, e)
	spc := sc.Get("/scim/v2/ServiceProviderConfig").Want(t, http.StatusOK).Map(t)
	if lookup(spc, "patch/supported") != true || lookup(spc, "filter/supported") != true || lookup(spc, "bulk/supported") != false ||
		lookup(spc, "authenticationSchemes/0/type") != "oauthbearertoken" {
		t.Fatalf("ServiceProviderConfig = %v", spc)
	}
	schemas := sc.Get("/scim/v2/Schemas").Want(t, http.StatusOK).Map(t)
	if !strings.Contains(fmt.Sprint(schemas["Resources"]), enterpriseURN) || !strings.Contains(fmt.Sprint(schemas["Resources"]), "urn:ietf:params:scim:schemas:core:2.0:Group") {
		t.Fatalf("Schemas = %v", schemas)
	}
	sc.Get("/scim/v2/Schemas/"+enterpriseURN).Want(t, http.StatusOK)
	types := sc.Get("/scim/v2/ResourceTypes").Want(t, http.StatusOK).Map(t)
	if lookup(types, "totalResults") != 2.0 || !strings.Contains(fmt.Sprint(types["Resources"]), enterpriseURN) {
		t.Fatalf("ResourceTypes = %v", types)
	}
	sc.Get("/scim/v2/ResourceTypes/User").Want(t, http.StatusOK)
	e.c.As(plain).Get("/api/v1/me").Want(t, http.StatusUnauthorized)
	e.c.As(plain).Get("/api/v1/users").Want(t, http.StatusUnauthorized)
	adminC, admin := e.as(identity.RoleAdmin)
	adminC.Get("/scim/v2/Users").Want(t, http.StatusUnauthorized)
	hrC, _ := e.as(identity.RoleHR)
	hrC.Get("/api/v1/admin/scim-tokens").Want(t, http.StatusForbidden)

	var l list[map[string]any]
	adminC.Get("/api/v1/admin/scim-tokens").Want(t, http.StatusOK).Decode(t, &l)
	if len(l.Items) != 1 || l.Items[0]["token"] != nil || l.Items[0]["last_used_at"] == nil || l.Items[0]["revoked_at"] != nil {
		t.Fatalf("tokens = %+v", l.Items)
	}
	var stored string
	e.db.R.Table("scim_tokens").Select("token_hash").Where("id = ?", id).Scan(&stored)
	if stored == plain || strings.Contains(stored, plain) {
		t.Fatal("the token is stored in the clear")
	}
	adminC.Delete("/api/v1/admin/scim-tokens/"+id).Want(t, http.StatusNoContent)
	res := sc.Get("/scim/v2/Users").Want(t, http.StatusUnauthorized)
	if !strings.Contains(string(res.Body), "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("refusal not in SCIM's format: %s", res.Body)
	}
	adminC.Delete("/api/v1/admin/scim-tokens/nope").Want(t, http.StatusNotFound)
	var events int64
	e.db.R.Table("audit_events").Where("action IN ? AND actor_id = ?",
		[]string{identity.ActionScimTokenCreated, identity.ActionScimTokenRevoked}, admin.ID).Count(&events)
	if events != 1 { // created by the scimClient admin, revoked by this one
		t.Fatalf("%d token events by the revoking admin", events)
	}
	sc.Get("/scim/v2/Schemas").Want(t, http.StatusUnauthorized)
}

// While SCIM provisions people, a first sign-in takes no department from
// the claim: the department is SCIM's.
func TestOIDCDepartmentClaimIgnoredUnderSCIM(t *testing.T) {
	r := newSSORig(t, storetest.SQLite(t), nil)
	scimClient(t, r.e)
	b := r.browser()
	if a := b.signIn(&opUser{sub: "s1", email: "s1@example.com", verified: yes(), dept: "Field Sales"}, "/"); a.status != http.StatusFound {
		t.Fatalf("sign-in = %d %s", a.status, a.body)
	}
	if me := b.me(); me["department"] != "" {
		t.Fatalf("department = %v, want none while SCIM provisions", me["department"])
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
