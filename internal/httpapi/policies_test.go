package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

type policyBody struct {
	Slug           string   `json:"slug"`
	Title          string   `json:"title"`
	Departments    []string `json:"departments"`
	Version        int      `json:"version"`
	HTML           string   `json:"html"`
	AcknowledgedAt *string  `json:"acknowledged_at"`
}

type policyRowBody struct {
	Email               string  `json:"email"`
	Department          string  `json:"department"`
	Policy              string  `json:"policy"`
	Version             int     `json:"version"`
	Acknowledged        bool    `json:"acknowledged"`
	AcknowledgedAt      *string `json:"acknowledged_at"`
	AcknowledgedVersion *int    `json:"acknowledged_version"`
}

// TestPoliciesAcrossVersionsAndDepartments: a policy for Marketing is
// shown to Marketing only, acknowledged per version, asked again after a
// new version; the report has a row per person it applies to; the digest
// reminds whoever has not acknowledged.
func TestPoliciesAcrossVersionsAndDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		hr, _ := e.as(identity.RoleHR)
		mk1 := e.userIn("Marketing")
		mk2 := e.userIn("marketing") // the same department, spelt otherwise
		sales := e.userIn("Sales")
		c1, c2, cs := e.c.As(e.token(mk1)), e.c.As(e.token(mk2)), e.c.As(e.token(sales))

		// Refused: a learner publishing; bad front matter; a module's slug.
		c1.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Text.")).Want(t, http.StatusForbidden)
		res := trainer.Put("/api/v1/policies/ai-use", map[string]any{"files": map[string]string{"policy.md": "no front matter"}}).
			Want(t, http.StatusUnprocessableEntity)
		if len(problems(t, res)) == 0 {
			t.Errorf("no problems listed: %s", res.Body)
		}
		trainer.Put("/api/v1/policies/ai-use", map[string]any{"files": map[string]string{"other.md": "x"}}).
			Want(t, http.StatusUnprocessableEntity)
		trainer.Put("/api/v1/modules/taken-slug", course("Taken")).Want(t, http.StatusCreated)
		trainer.Put("/api/v1/policies/taken-slug", policyUpload("Taken", "Text.")).Want(t, http.StatusUnprocessableEntity)

		var pub map[string]any
		trainer.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Use **approved** tools only.", "departments: [Marketing]")).
			Want(t, http.StatusCreated).Decode(t, &pub)
		if pub["version"] != float64(1) {
			t.Fatalf("publish: %v", pub)
		}
		trainer.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Use **approved** tools only.", "departments: [Marketing]")).
			Want(t, http.StatusOK)
		// A module may not take a policy's slug either.
		trainer.Put("/api/v1/modules/ai-use", course("AI use")).Want(t, http.StatusUnprocessableEntity)

		var l1 struct{ Items []policyBody }
		c1.Get("/api/v1/policies").Want(t, http.StatusOK).Decode(t, &l1)
		if len(l1.Items) != 1 || l1.Items[0].Version != 1 || l1.Items[0].AcknowledgedAt != nil ||
			!strings.Contains(l1.Items[0].HTML, "<strong>approved</strong>") {
			t.Fatalf("marketing sees %+v", l1.Items)
		}
		var ls struct{ Items []policyBody }
		cs.Get("/api/v1/policies").Want(t, http.StatusOK).Decode(t, &ls)
		if len(ls.Items) != 0 {
			t.Errorf("sales sees %+v", ls.Items)
		}
		cs.Get("/api/v1/policies/ai-use").Want(t, http.StatusNotFound)
		hr.Get("/api/v1/policies/ai-use").Want(t, http.StatusOK)

		// Acknowledge version 1: 201, then 200 with the same time.
		var ack1, again map[string]any
		c1.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 1}).Want(t, http.StatusCreated).Decode(t, &ack1)
		c1.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 1}).Want(t, http.StatusOK).Decode(t, &again)
		if ack1["acknowledged_at"] != again["acknowledged_at"] {
			t.Errorf("acknowledged twice: %v then %v", ack1, again)
		}
		c1.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 2}).Want(t, http.StatusConflict)
		cs.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 1}).Want(t, http.StatusNotFound)

		// The digest reminds mk2 (not acknowledged), not mk1 or sales.
		digests, err := e.srv.Reminders.Plan(context.Background(), e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		reminded := map[string]bool{}
		for _, d := range digests {
			for _, it := range d.Items {
				if it.Kind == notify.Policy && it.Module == "ai-use" {
					reminded[d.UserID] = true
				}
			}
		}
		if !reminded[mk2.ID] || reminded[mk1.ID] || reminded[sales.ID] {
			t.Errorf("policy reminders went to %v", reminded)
		}

		// Version 2 asks again.
		trainer.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Use approved tools only. Label AI drafts.", "departments: [Marketing]")).
			Want(t, http.StatusCreated).Decode(t, &pub)
		if pub["version"] != float64(2) {
			t.Fatalf("second publish: %v", pub)
		}
		var p policyBody
		c1.Get("/api/v1/policies/ai-use").Want(t, http.StatusOK).Decode(t, &p)
		if p.Version != 2 || p.AcknowledgedAt != nil {
			t.Errorf("after version 2: %+v", p)
		}
		c1.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 1}).Want(t, http.StatusConflict)
		c2.Post("/api/v1/policies/ai-use/acknowledge", map[string]any{"version": 2}).Want(t, http.StatusCreated)

		// The report: a row per Marketing person (plus the trainer and HR
		// user, who are in Marketing too), and nobody from Sales.
		var rep struct{ Items []policyRowBody }
		hr.Get("/api/v1/reports/policies?format=json&policy=ai-use").Want(t, http.StatusOK).Decode(t, &rep)
		rows := map[string]policyRowBody{}
		for _, r := range rep.Items {
			rows[r.Email] = r
			if r.Department == "Sales" {
				t.Errorf("a Sales row: %+v", r)
			}
		}
		if len(rep.Items) != 4 {
			t.Errorf("%d rows, want 4: %+v", len(rep.Items), rep.Items)
		}
		r1, r2 := rows[mk1.Email], rows[mk2.Email]
		if r1.Acknowledged || r1.AcknowledgedVersion == nil || *r1.AcknowledgedVersion != 1 || r1.Version != 2 {
			t.Errorf("mk1's row: %+v", r1)
		}
		if !r2.Acknowledged || r2.AcknowledgedAt == nil || *r2.AcknowledgedVersion != 2 {
			t.Errorf("mk2's row: %+v", r2)
		}
		var sales0 struct{ Items []policyRowBody }
		hr.Get("/api/v1/reports/policies?format=json&department=sales").Want(t, http.StatusOK).Decode(t, &sales0)
		if len(sales0.Items) != 0 {
			t.Errorf("sales rows: %+v", sales0.Items)
		}
		csv := hr.Get("/api/v1/reports/policies?format=csv").Want(t, http.StatusOK)
		if !strings.HasPrefix(string(csv.Body), "\ufeffemployee_id,email,name,department,policy,policy_title,version,acknowledged,acknowledged_at,acknowledged_version,published_at\n") {
			t.Errorf("CSV header: %q", string(csv.Body[:min(200, len(csv.Body))]))
		}
		xlsx := hr.Get("/api/v1/reports/policies?format=xlsx").Want(t, http.StatusOK)
		if !strings.HasPrefix(string(xlsx.Body), "PK") {
			t.Error("XLSX is not a zip")
		}
		hr.Get("/api/v1/reports/policies?format=pdf").Want(t, http.StatusBadRequest)
		hr.Get("/api/v1/reports/policies?policy=nope").Want(t, http.StatusUnprocessableEntity)
		c1.Get("/api/v1/reports/policies").Want(t, http.StatusForbidden)
	})
}
