package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// policyUpload is a policy.md upload.
func policyUpload(title, body string, front ...string) map[string]any {
	src := fmt.Sprintf("---\ntitle: %s\nsummary: What %s asks of you.\n%s---\n\n%s\n", title, title, strings.Join(append(front, ""), "\n"), body)
	return map[string]any{"files": map[string]string{"policy.md": src}}
}

// privacyWorld is a catalog with a quiz course, a course left with an
// open attempt, and one policy; published by a trainer.
type privacyWorld struct {
	e       *testEnv
	trainer *apitest.Client
	hr      *apitest.Client
	admin   *apitest.Client
}

func newPrivacyWorld(t *testing.T, db *store.DB) *privacyWorld {
	t.Helper()
	e := newTestEnvOn(t, db)
	w := &privacyWorld{e: e}
	w.trainer, _ = e.as(identity.RoleTrainer)
	w.hr, _ = e.as(identity.RoleHR)
	w.admin, _ = e.as(identity.RoleAdmin)
	w.trainer.Put("/api/v1/modules/privacy-course", course("Privacy course")).Want(t, http.StatusCreated)
	w.trainer.Put("/api/v1/modules/open-course", course("Open course")).Want(t, http.StatusCreated)
	w.trainer.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Use approved tools only.")).Want(t, http.StatusCreated)
	return w
}

// person is someone with data of every kind.
type person struct {
	u                    identity.User
	c                    *apitest.Client
	name, email, empID   string
	formerEmail          string
	recordID, credential string
}

// seed creates a person (under a former email that HR then changes) and
// gives them data of every kind: a session and a failed sign-in, a
// completed course with a record, feedback with a comment, an open
// attempt, an assignment, notification settings, a policy
// acknowledgement and a message in the outbox whose error quotes them.
func (w *privacyWorld) seed(t *testing.T, name, email, empID string) person {
	t.Helper()
	e := w.e
	ctx := context.Background()
	p := person{name: name, email: email, empID: empID, formerEmail: "before." + email}
	u, err := e.ids.CreateUser(ctx, identity.Principal{Roles: identity.Roles{identity.RoleAdmin}},
		identity.NewUser{Email: p.formerEmail, Name: name, Department: "Marketing", EmployeeID: empID,
			Roles: []string{identity.RoleLearner}, Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	w.hr.Patch("/api/v1/users/"+u.ID, map[string]any{"email": email}).Want(t, http.StatusOK)
	p.u = u
	e.login(email, e.password)
	e.c.Post("/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password"}).Want(t, http.StatusUnauthorized)
	p.c = e.c.As(e.token(u))
	res := complete(t, p.c, "privacy-course")
	p.recordID, p.credential = res.Completion.ID, res.Completion.Credential
	p.c.Post("/api/v1/modules/privacy-course/feedback", map[string]any{"rating": 4, "comment": "Useful, says " + name}).
		Want(t, http.StatusCreated)
	finishLessons(t, p.c, "open-course")
	p.c.Post("/api/v1/modules/open-course/attempts", nil).Want(t, http.StatusCreated)
	w.hr.Post("/api/v1/assignments", map[string]any{"module": "privacy-course", "user_ids": []string{u.ID},
		"due_at": rfc(e.clock.Now().Add(30 * 24 * time.Hour))}).Want(t, http.StatusCreated)
	p.c.Put("/api/v1/me/notifications", map[string]any{"reminders": false}).Want(t, http.StatusOK)
	p.c.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 1}).Want(t, http.StatusCreated)
	if err := e.db.W.Exec(`INSERT INTO outbox (target, kind, ordering_key, payload, status, attempts, last_error,
  created_at, next_attempt_at, give_up_at) VALUES ('mail', 'invitation', ?, ?, 'failed', 3, ?, ?, ?, ?)`,
		u.ID, `{"user_id":"`+u.ID+`"}`, "550 5.1.1 <"+email+">: no such mailbox", e.clock.Now(), e.clock.Now(), e.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	// A relay error about someone else's message that quotes this person.
	if err := e.db.W.Exec(`INSERT INTO outbox (target, kind, ordering_key, payload, status, attempts, last_error,
  created_at, next_attempt_at, give_up_at) VALUES ('mail', 'digest', 'someone-else', '{}', 'failed', 1, ?, ?, ?, ?)`,
		"452 mailbox of "+email+" full", e.clock.Now(), e.clock.Now(), e.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	return p
}

type exportBody struct {
	UserID     string                      `json:"user_id"`
	ExportedAt string                      `json:"exported_at"`
	Kinds      map[string][]map[string]any `json:"kinds"`
}

// TestExportIsCompleteAndAboutNobodyElse: a person with data of every
// kind gets all of it, and nothing of a second person.
func TestExportIsCompleteAndAboutNobodyElse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPrivacyWorld(t, db)
		a := w.seed(t, "Zoë Quintessa-Marlowe", "zoe.quintessa@example.com", "EMP-77321")
		b := w.seed(t, "Bartholomew Oyelaran", "bart.oyelaran@example.com", "EMP-99120")

		res := a.c.Get("/api/v1/me/export").Want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("content type %q", ct)
		}
		var ex exportBody
		res.Decode(t, &ex)
		if ex.UserID != a.u.ID {
			t.Fatalf("export of %s, want %s", ex.UserID, a.u.ID)
		}
		for _, kind := range []string{"profile", "sessions", "assignments", "enrollments", "lesson_progress", "attempts",
			"records", "feedback", "policy_acknowledgements", "notification_settings", "deliveries", "sign_in_throttle", "audit"} {
			if len(ex.Kinds[kind]) == 0 {
				t.Errorf("export kind %q is empty or missing", kind)
			}
		}
		text := string(res.Body)
		for _, v := range []string{b.u.ID, b.email, b.name, b.empID, b.recordID} {
			if strings.Contains(text, v) {
				t.Errorf("A's export holds B's %q", v)
			}
		}
		for _, v := range []string{a.email, a.empID, a.recordID, "Useful, says"} {
			if !strings.Contains(text, v) {
				t.Errorf("A's export lacks %q", v)
			}
		}
		if strings.Contains(text, "token_hash") || strings.Contains(text, "password_hash") {
			t.Error("the export shows a token or password hash")
		}
		// Attempts: the submitted one shows questions and answers but never
		// which choices are correct; the open one has no questions.
		open, submitted := 0, 0
		for _, at := range ex.Kinds["attempts"] {
			if at["submitted_at"] == nil {
				open++
				if at["questions"] != nil {
					t.Errorf("an open attempt's questions are exported: %v", at["questions"])
				}
				continue
			}
			submitted++
			qs, _ := at["questions"].([]any)
			if len(qs) == 0 {
				t.Fatalf("a submitted attempt without questions: %v", at)
			}
			for _, q := range qs {
				qm := q.(map[string]any)
				if _, ok := qm["answer"]; !ok {
					t.Errorf("question without the answer given: %v", qm)
				}
				for _, ch := range qm["choices"].([]any) {
					if _, ok := ch.(map[string]any)["correct"]; ok {
						t.Errorf("a choice says whether it is correct: %v", ch)
					}
				}
			}
		}
		if open != 1 || submitted != 1 {
			t.Errorf("attempts: %d open, %d submitted; want 1 and 1", open, submitted)
		}

		// ZIP: one JSON and one CSV per kind.
		res = a.c.Get("/api/v1/me/export?format=zip").Want(t, http.StatusOK)
		zr, err := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]bool{}
		for _, f := range zr.File {
			files[f.Name] = true
		}
		for kind := range ex.Kinds {
			if !files[kind+".json"] || !files[kind+".csv"] {
				t.Errorf("zip lacks %s.json or %s.csv: %v", kind, kind, files)
			}
		}

		// A kind another package registers is exported; a self-only kind
		// (pulse answers) only to the person themselves.
		w.e.srv.Privacy.Register(privacy.Kind{Name: "test_self_only", SelfOnly: true,
			Export: func(ctx context.Context, db *gorm.DB, s privacy.Subject) (privacy.Table, error) {
				return privacy.Table{Columns: []string{"user_id"}, Rows: [][]any{{s.UserID}}}, nil
			}})
		var mine, theirs exportBody
		a.c.Get("/api/v1/me/export").Want(t, http.StatusOK).Decode(t, &mine)
		w.admin.Get("/api/v1/users/"+a.u.ID+"/export").Want(t, http.StatusOK).Decode(t, &theirs)
		if len(mine.Kinds["test_self_only"]) != 1 {
			t.Errorf("the person's own export lacks the self-only kind")
		}
		if _, ok := theirs.Kinds["test_self_only"]; ok {
			t.Errorf("an admin's export holds the self-only kind")
		}

		// An admin may export anyone, audited; nobody else may.
		before := countAudit(t, w.e, "user.exported")
		w.admin.Get("/api/v1/users/"+a.u.ID+"/export").Want(t, http.StatusOK)
		if n := countAudit(t, w.e, "user.exported"); n != before+1 {
			t.Errorf("admin export audited %d times", n-before)
		}
		b.c.Get("/api/v1/users/"+a.u.ID+"/export").Want(t, http.StatusForbidden)
		w.hr.Get("/api/v1/users/"+a.u.ID+"/export").Want(t, http.StatusForbidden)
		w.admin.Get("/api/v1/users/00000000-0000-4000-8000-000000000000/export").Want(t, http.StatusNotFound)
		a.c.Get("/api/v1/me/export?format=pdf").Want(t, http.StatusBadRequest)
	})
}

// forms are the spellings an erased value must not survive in: as is,
// lower-case, JSON-escaped (\u00eb) and base64url at each of the three
// alignments it can take inside a longer encoded text.
func forms(v string) []string {
	out := []string{v, strings.ToLower(v)}
	b, _ := json.Marshal(v)
	out = append(out, string(b[1:len(b)-1]))
	var ascii strings.Builder
	for _, r := range v {
		if r < 0x80 {
			ascii.WriteRune(r)
		} else {
			fmt.Fprintf(&ascii, `\u%04x`, r)
		}
	}
	out = append(out, ascii.String())
	for pad := 0; pad < 3; pad++ {
		enc := base64.RawURLEncoding.EncodeToString(append(bytes.Repeat([]byte{'"'}, pad), v...))
		// Drop the characters that depend on the bytes around the value.
		start := (pad*8 + 5) / 6
		if end := len(enc) - 2; end-start >= 6 {
			out = append(out, enc[start:end])
		}
	}
	return out
}

// allText reads every value of every table as text.
func allText(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Dialect == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := db.R.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		out[tb] = tableText(t, db, tb)
	}
	return out
}

// tableText is every value of table tb, as text.
func tableText(t *testing.T, db *store.DB, tb string) string {
	t.Helper()
	rows, err := db.R.Raw("SELECT * FROM " + tb).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var sb strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&sb, "%v\x00", v)
		}
	}
	return sb.String()
}

func countRows(t *testing.T, res *apitest.Response) int {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	res.Decode(t, &l)
	return len(l.Items)
}

// TestErasure: afterwards no table, and on SQLite no byte of the database
// and its WAL, holds the person's name, email or employee id in any
// spelling; reports keep their counts; the record verifies under the
// pseudonym, and so does an old copy of its credential; sign-in fails.
func TestErasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPrivacyWorld(t, db)
		a := w.seed(t, "Zoë Quintessa-Marlowe", "zoe.quintessa@example.com", "EMP-77321")
		b := w.seed(t, "Bartholomew Oyelaran", "bart.oyelaran@example.com", "EMP-99120")

		report := func() (int, string) {
			res := w.hr.Get("/api/v1/reports/completions?format=json").Want(t, http.StatusOK)
			summary := w.hr.Get("/api/v1/reports/summary?group_by=module").Want(t, http.StatusOK)
			return countRows(t, res), string(summary.Body)
		}
		rowsBefore, summaryBefore := report()
		policyRows := countRows(t, w.hr.Get("/api/v1/reports/policies?format=json").Want(t, http.StatusOK))

		// Refused without a reason, for a learner, and for the last admin.
		w.admin.Post("/api/v1/users/"+a.u.ID+"/erase", map[string]any{"reason": " "}).Want(t, http.StatusUnprocessableEntity)
		a.c.Post("/api/v1/users/"+a.u.ID+"/erase", map[string]any{"reason": "left"}).Want(t, http.StatusForbidden)
		adminID := w.admin.Get("/api/v1/me").Want(t, http.StatusOK).Map(t)["id"].(string)
		res := w.admin.Post("/api/v1/users/"+adminID+"/erase", map[string]any{"reason": "test"}).Want(t, http.StatusConflict)
		if !strings.Contains(string(res.Body), "last-admin") {
			t.Errorf("last admin: %s", res.Body)
		}

		var out struct{ ID, Pseudonym string }
		w.admin.Post("/api/v1/users/"+a.u.ID+"/erase",
			map[string]any{"reason": "Left the company; request from " + a.name}).Want(t, http.StatusOK).Decode(t, &out)
		if out.ID != a.u.ID || !strings.HasPrefix(out.Pseudonym, "erased-") {
			t.Fatalf("erase answered %+v", out)
		}
		w.admin.Post("/api/v1/users/"+a.u.ID+"/erase", map[string]any{"reason": "again"}).Want(t, http.StatusConflict)

		values := []string{a.name, a.email, a.empID, a.formerEmail}
		for table, text := range allText(t, db) {
			for _, v := range values {
				for _, f := range forms(v) {
					if strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
						t.Errorf("table %s still holds %q (as %q)", table, v, f)
					}
				}
			}
		}
		// B is untouched.
		if u, err := w.e.ids.GetUser(context.Background(), b.u.ID); err != nil || u.Email != b.email || u.Name != b.name {
			t.Errorf("B changed: %+v %v", u, err)
		}
		if db.Dialect == store.SQLite {
			path := sqlitePath(t, db)
			for _, f := range []string{path, path + "-wal"} {
				data, err := os.ReadFile(f)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				low := bytes.ToLower(data)
				for _, v := range values {
					for _, form := range forms(v) {
						if bytes.Contains(low, []byte(strings.ToLower(form))) {
							t.Errorf("%s still holds %q (as %q)", f, v, form)
						}
					}
				}
			}
		}

		// Reports keep their counts.
		rowsAfter, summaryAfter := report()
		if rowsAfter != rowsBefore || summaryAfter != summaryBefore {
			t.Errorf("reports changed: %d rows, was %d; summary %s, was %s", rowsAfter, rowsBefore, summaryAfter, summaryBefore)
		}
		if n := countRows(t, w.hr.Get("/api/v1/reports/policies?format=json").Want(t, http.StatusOK)); n != policyRows {
			t.Errorf("policies report: %d rows, want %d", n, policyRows)
		}

		// The record verifies under the pseudonym; so does the old copy.
		v := w.e.c.Get("/api/v1/records/"+a.recordID+"/verify").Want(t, http.StatusOK).Map(t)
		rec, _ := v["record"].(map[string]any)
		if v["valid"] != true || rec["holder_name"] != out.Pseudonym {
			t.Errorf("verify by id: %v", v)
		}
		v = w.e.c.Post("/api/v1/records/verify", map[string]any{"credential": a.credential}).Want(t, http.StatusOK).Map(t)
		rec, _ = v["record"].(map[string]any)
		if v["valid"] != true || rec["holder_name"] != out.Pseudonym {
			t.Errorf("an old copy of the credential: %v", v)
		}
		cur := w.admin.Get("/api/v1/records/"+a.recordID).Want(t, http.StatusOK).Map(t)
		v = w.e.c.Post("/api/v1/records/verify", map[string]any{"credential": cur["credential"]}).Want(t, http.StatusOK).Map(t)
		if v["valid"] != true || cur["holder_name"] != out.Pseudonym {
			t.Errorf("the new credential: %v (record %v)", v, cur)
		}

		// Sign-in fails, with either email; the old access token is refused;
		// nobody can invite them back.
		a.c.Get("/api/v1/me").Want(t, http.StatusUnauthorized)
		w.admin.Post("/api/v1/users/"+a.u.ID+"/invite", nil).Want(t, http.StatusConflict)
		w.e.c.Post("/api/v1/auth/login", map[string]string{"email": a.email, "password": w.e.password}).Want(t, http.StatusUnauthorized)
		w.e.c.Post("/api/v1/auth/login", map[string]string{"email": out.Pseudonym + "@erased.invalid", "password": w.e.password}).
			Want(t, http.StatusUnauthorized)

		// Audited without personal data.
		var details []string
		if err := db.R.Table("audit_events").Where("action = ? AND target = ?", "user.erased", a.u.ID).
			Pluck("details", &details).Error; err != nil || len(details) != 1 {
			t.Fatalf("erasure audit: %v %v", details, err)
		}
		if !strings.Contains(details[0], out.Pseudonym) || strings.Contains(details[0], "Zo") {
			t.Errorf("erasure audit details: %s", details[0])
		}
	})
}

// sqlitePath finds the file of a SQLite database.
func sqlitePath(t *testing.T, db *store.DB) string {
	t.Helper()
	var rows []struct {
		Seq        int
		Name, File string
	}
	if err := db.R.Raw("PRAGMA database_list").Scan(&rows).Error; err != nil || len(rows) == 0 {
		t.Fatalf("database_list: %v", err)
	}
	return rows[0].File
}
