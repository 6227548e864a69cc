package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// Archiving takes a module out of the catalogue: learners cannot open or
// start it, HR cannot newly assign it, and its assignments, progress and
// report rows stay; unarchiving brings it back. Both are audited.
func TestArchiveModuleAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishCourse(t, e, "fair-ai", "Fair AI")
		trainer, _ := e.as(identity.RoleTrainer)
		hrC, _ := e.as(identity.RoleHR)
		adminC, _ := e.as(identity.RoleAdmin)
		learner, me := e.as(identity.RoleLearner)
		due := rfc(e.clock.Now().AddDate(0, 0, 7))
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{me.ID}, "due_at": due}).Want(t, http.StatusCreated)
		learner.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 60}).Want(t, http.StatusOK)

		learner.Post("/api/v1/modules/fair-ai/archive", nil).Want(t, http.StatusForbidden)
		hrC.Post("/api/v1/modules/fair-ai/archive", nil).Want(t, http.StatusForbidden)
		got := trainer.Post("/api/v1/modules/fair-ai/archive", nil).Want(t, http.StatusOK).Map(t)
		if got["archived"] != true || got["slug"] != "fair-ai" {
			t.Fatalf("archive answered %v", got)
		}
		trainer.Post("/api/v1/modules/no-such/archive", nil).Want(t, http.StatusNotFound)

		if items := learner.Get("/api/v1/modules").Want(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 0 {
			t.Errorf("the catalogue still lists %v", items)
		}
		learner.Get("/api/v1/modules/fair-ai").Want(t, http.StatusNotFound)
		learner.Put("/api/v1/modules/fair-ai/lessons/practice/progress", map[string]any{"completed": true, "seconds_spent": 60}).Want(t, http.StatusNotFound)
		learner.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusNotFound)
		other := e.user()
		res := hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{other.ID}, "due_at": due}).
			Want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(res.Body), "archived") {
			t.Errorf("assigning an archived module: %s", res.Body)
		}
		// Trainers still see it, marked; reports keep its rows.
		if m := trainer.Get("/api/v1/modules/fair-ai").Want(t, http.StatusOK).Map(t); m["archived"] != true {
			t.Errorf("trainer's view: %v", m)
		}
		var doc struct{ Items []map[string]any }
		hrC.Get("/api/v1/reports/completions?format=json").Want(t, http.StatusOK).Decode(t, &doc)
		if len(doc.Items) != 1 || doc.Items[0]["module"] != "fair-ai" {
			t.Errorf("report rows after archiving: %v", doc.Items)
		}

		if got := trainer.Post("/api/v1/modules/fair-ai/unarchive", nil).Want(t, http.StatusOK).Map(t); got["archived"] != false {
			t.Fatalf("unarchive answered %v", got)
		}
		learner.Get("/api/v1/modules/fair-ai").Want(t, http.StatusOK)
		audit := adminC.Get("/api/v1/audit?limit=500").Want(t, http.StatusOK).Map(t)["items"].([]any)
		actions := map[string]bool{}
		for _, it := range audit {
			if ev := it.(map[string]any); ev["target"] == "fair-ai" {
				actions[ev["action"].(string)] = true
			}
		}
		if !actions["module.archived"] || !actions["module.unarchived"] {
			t.Errorf("audit actions %v", actions)
		}
	})
}

// Warnings come back from validate, preview and publish and never stop a
// publish; the review fields are for authors only.
func TestContentWarningsAndPreviewAPI(t *testing.T) {
	e := newTestEnv(t)
	trainer, _ := e.as(identity.RoleTrainer)
	learner, _ := e.as(identity.RoleLearner)
	up := newUpload("Fair AI", "review_by: 2020-01-31", "owner: training@example.com").
		with("lessons/02-middle.md", "# Middle\n\nTODO: finish.\n\n![pixel](https://tracker.example/p.png)\n")
	body := up.body()
	body["slug"] = "fair-ai"
	var v struct {
		Valid    bool
		Warnings []struct {
			File    string
			Line    int
			Message string
		}
	}
	trainer.Post("/api/v1/content/validate", body).Want(t, http.StatusOK).Decode(t, &v)
	found := map[string]bool{}
	for _, w := range v.Warnings {
		for _, part := range []string{"TODO", "remote image", "review_by 2020-01-31 has passed"} {
			if strings.Contains(w.Message, part) {
				found[part] = true
			}
		}
	}
	if !v.Valid || len(found) != 3 {
		t.Fatalf("validate: valid %v, warnings %+v", v.Valid, v.Warnings)
	}

	prev := trainer.Post("/api/v1/content/preview", body).Want(t, http.StatusOK).Map(t)
	lessons := prev["lessons"].([]any)
	quiz := prev["quiz"].(map[string]any)["questions"].([]any)
	if prev["valid"] != true || len(lessons) != 3 || len(quiz) != 3 || prev["module"].(map[string]any)["title"] != "Fair AI" ||
		len(prev["warnings"].([]any)) == 0 {
		t.Fatalf("preview: %v", prev)
	}
	learner.Post("/api/v1/content/preview", body).Want(t, http.StatusForbidden)
	bad := newUpload("Broken").with("lessons/02-middle.md", "# M\n\n"+strings.Repeat(">", 300<<10)).body()
	bad["slug"] = "broken"
	if p := trainer.Post("/api/v1/content/preview", bad).Want(t, http.StatusOK).Map(t); p["valid"] != false {
		t.Errorf("preview of a module over the limits: %v", p["valid"])
	}

	pub := trainer.Put("/api/v1/modules/fair-ai", up.body()).Want(t, http.StatusCreated).Map(t)
	if ws, _ := pub["warnings"].([]any); len(ws) < 3 {
		t.Errorf("publish warnings: %v", pub["warnings"])
	}
	m := trainer.Get("/api/v1/modules/fair-ai").Want(t, http.StatusOK).Map(t)
	if m["review_by"] != "2020-01-31" || m["owner"] != "training@example.com" || m["review_overdue"] != true {
		t.Errorf("trainer's view: %v", m)
	}
	lm := learner.Get("/api/v1/modules/fair-ai").Want(t, http.StatusOK).Map(t)
	for _, k := range []string{"review_by", "owner", "review_overdue"} {
		if _, ok := lm[k]; ok {
			t.Errorf("a learner sees %s", k)
		}
	}
}

// The security review's inputs are refused by the limits, as problems
// naming the file, before any parsing.
func TestPathologicalMarkdownAPI(t *testing.T) {
	e := newTestEnv(t)
	trainer, _ := e.as(identity.RoleTrainer)
	for name, lesson := range map[string]string{
		"1 MB of '>'":   "# T\n\n" + strings.Repeat(">", 1<<20),
		"1 MB of [a](":  "# T\n\n" + strings.Repeat("[a](", 1<<18),
		"300 KB of '>'": "# T\n\n" + strings.Repeat(">", 300<<10),
		"150 KB of '>'": "# T\n\n" + strings.Repeat(">", 150<<10),
	} {
		body := newUpload("Slow").with("lessons/02-middle.md", lesson).body()
		body["slug"] = "slow-md"
		ps := problems(t, trainer.Post("/api/v1/content/validate", body).Want(t, http.StatusOK))
		if !hasProblem(ps, "lessons/02-middle.md:") {
			t.Errorf("%s: problems %v", name, ps)
		}
		trainer.Put("/api/v1/modules/slow-md", newUpload("Slow").with("lessons/02-middle.md", lesson).body()).Want(t, http.StatusUnprocessableEntity)
	}
	many := newUpload("Many")
	for i := 0; i < 600; i++ {
		many = many.with(fmt.Sprintf("lessons/%d-l%d.md", i+10, i), "# L\n")
	}
	ps := problems(t, trainer.Put("/api/v1/modules/many-files", many.body()).Want(t, http.StatusUnprocessableEntity))
	if len(ps) != 1 || !strings.Contains(ps[0], "606 files; a module may hold at most 500") {
		t.Errorf("too many files: %v", ps)
	}
}
