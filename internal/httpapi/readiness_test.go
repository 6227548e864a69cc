package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// shortModule is a module of one lesson ("intro") and no quiz: marking the
// lesson done completes it.
func shortModule(title string) map[string]any {
	return map[string]any{"files": map[string]string{
		"module.md":           fmt.Sprintf("---\ntitle: %s\nsummary: A short course on %s.\ntopics: [ethics]\n---\n\nOverview.\n", title, title),
		"lessons/01-intro.md": "# Intro\n\nThe one lesson.\n",
	}}
}

func publishShort(t *testing.T, e *testEnv, slugs ...string) {
	t.Helper()
	trainer, _ := e.as(identity.RoleTrainer)
	for _, s := range slugs {
		trainer.Put("/api/v1/modules/"+s, shortModule(strings.ToUpper(s[:1])+s[1:])).Want(t, http.StatusCreated)
	}
}

func publishDoc(t *testing.T, e *testEnv, kind, slug, src string) {
	t.Helper()
	if _, err := e.srv.Catalog.PublishDoc(context.Background(), kind, slug, []byte(src), ""); err != nil {
		t.Fatalf("publish %s %s: %v", kind, slug, err)
	}
}

func completeShort(t *testing.T, c *apitest.Client, slug string) {
	t.Helper()
	c.Put("/api/v1/modules/"+slug+"/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 60}).Want(t, http.StatusOK)
}

type recordsPage struct {
	Items []struct {
		ID         string  `json:"id"`
		Kind       string  `json:"kind"`
		Path       *string `json:"path"`
		Module     *string `json:"module"`
		Status     string  `json:"status"`
		Credential string  `json:"credential"`
	} `json:"items"`
}

func pathRecords(t *testing.T, c *apitest.Client) (all, valid []string, credential string) {
	t.Helper()
	var recs recordsPage
	c.Get("/api/v1/me/records").Want(t, http.StatusOK).Decode(t, &recs)
	for _, r := range recs.Items {
		if r.Kind != "path" {
			continue
		}
		if r.Module != nil || r.Path == nil {
			t.Errorf("path record %s: module %v, path %v", r.ID, r.Module, r.Path)
		}
		all = append(all, r.ID)
		if r.Status == "valid" {
			valid = append(valid, r.ID)
			credential = r.Credential
		}
	}
	return all, valid, credential
}

// A learning path: assigned like a module (each module tagged with the
// path in the completions report), its status follows its modules,
// completing it issues one signed path record that verifies, and revoking
// a module record revokes the path record and reopens the path.
func TestLearningPathsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishShort(t, e, "prompting", "checking")
		publishDoc(t, e, catalog.KindPath, "ai-starter", "---\ntitle: AI starter\nsummary: Two short steps.\nmodules: [prompting, checking]\nvalid_for: 2y\n---\n\nStart **here**.\n")
		hrC, _ := e.as(identity.RoleHR)
		adminC, _ := e.as(identity.RoleAdmin)
		learner, me := e.as(identity.RoleLearner)

		res := hrC.Post("/api/v1/assignments", map[string]any{"path": "ai-starter", "user_ids": []string{me.ID},
			"due_at": rfc(e.clock.Now().AddDate(0, 0, 14))}).Want(t, http.StatusCreated).Map(t)
		if res["assigned"] != float64(2) {
			t.Fatalf("assigning the path: %v", res)
		}
		hrC.Post("/api/v1/assignments", map[string]any{"path": "no-such-path", "user_ids": []string{me.ID},
			"due_at": rfc(e.clock.Now().AddDate(0, 0, 14))}).Want(t, http.StatusUnprocessableEntity).WantField(t, "path")
		hrC.Post("/api/v1/assignments", map[string]any{"path": "ai-starter", "module": "prompting", "user_ids": []string{me.ID},
			"due_at": rfc(e.clock.Now().AddDate(0, 0, 14))}).Want(t, http.StatusUnprocessableEntity)

		// A standing rule for a path: newcomers to the department get every
		// module of it, tagged with the path.
		hrC.Post("/api/v1/assignments", map[string]any{"path": "ai-starter", "departments": []string{"Design"},
			"include_new_members": true, "due_in_days": 30}).Want(t, http.StatusCreated)
		newcomer := e.userIn("Design")
		var rules struct{ Items []map[string]any }
		hrC.Get("/api/v1/assignment-rules?department=Design").Want(t, http.StatusOK).Decode(t, &rules)
		if len(rules.Items) != 2 || rules.Items[0]["path"] != "ai-starter" || rules.Items[1]["path"] != "ai-starter" {
			t.Errorf("rules: %v", rules.Items)
		}
		var mine struct{ Items []map[string]any }
		e.c.As(e.token(newcomer)).Get("/api/v1/me/assignments").Want(t, http.StatusOK).Decode(t, &mine)
		if len(mine.Items) != 2 {
			t.Errorf("the newcomer's assignments: %v", mine.Items)
		}

		var report struct{ Items []map[string]any }
		hrC.Get("/api/v1/reports/completions?format=json").Want(t, http.StatusOK).Decode(t, &report)
		if len(report.Items) != 4 || report.Items[0]["path"] != "ai-starter" || report.Items[3]["path"] != "ai-starter" {
			t.Errorf("completions rows: %v", report.Items)
		}
		csv := string(hrC.Get("/api/v1/reports/completions?format=csv").Want(t, http.StatusOK).Body)
		if !strings.Contains(csv, ",expires_at,path\n") || !strings.Contains(csv, ",,,,ai-starter\n") {
			t.Errorf("CSV lacks the path column:\n%s", csv)
		}

		status := func() string {
			p := learner.Get("/api/v1/paths/ai-starter").Want(t, http.StatusOK).Map(t)
			return p["status"].(string)
		}
		list := learner.Get("/api/v1/paths").Want(t, http.StatusOK).Map(t)["items"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["status"] != "not_started" {
			t.Fatalf("paths: %v", list)
		}
		if p := learner.Get("/api/v1/paths/ai-starter").Want(t, http.StatusOK).Map(t); !strings.Contains(p["overview_html"].(string), "<strong>here</strong>") {
			t.Errorf("overview: %v", p["overview_html"])
		}
		learner.Get("/api/v1/paths/nope").Want(t, http.StatusNotFound)
		var enr struct {
			Items []struct {
				Module string   `json:"module"`
				Paths  []string `json:"paths"`
			} `json:"items"`
		}
		learner.Get("/api/v1/me/enrollments").Want(t, http.StatusOK).Decode(t, &enr)
		if len(enr.Items) != 2 || len(enr.Items[0].Paths) != 1 || enr.Items[0].Paths[0] != "ai-starter" {
			t.Errorf("enrollments: %+v", enr.Items)
		}
		var sum struct {
			Groups []map[string]any `json:"groups"`
		}
		hrC.Get("/api/v1/reports/summary?group_by=path").Want(t, http.StatusOK).Decode(t, &sum)
		if len(sum.Groups) != 1 || sum.Groups[0]["key"] != "ai-starter" || sum.Groups[0]["assigned"] != float64(4) {
			t.Errorf("summary by path: %v", sum.Groups)
		}
		completeShort(t, learner, "prompting")
		if st := status(); st != "in_progress" {
			t.Errorf("after one module: %s", st)
		}
		if all, _, _ := pathRecords(t, learner); len(all) != 0 {
			t.Fatalf("path record before the path is done: %v", all)
		}
		completeShort(t, learner, "checking")
		if st := status(); st != "completed" {
			t.Errorf("after both modules: %s", st)
		}
		all, valid, cred := pathRecords(t, learner)
		if len(all) != 1 || len(valid) != 1 {
			t.Fatalf("path records %v, valid %v", all, valid)
		}
		v := e.c.Get("/api/v1/records/"+valid[0]+"/verify", apitest.Header("Accept", "application/json")).Want(t, http.StatusOK).Map(t)
		if v["valid"] != true || v["record"].(map[string]any)["kind"] != "path" || v["record"].(map[string]any)["path"] != "ai-starter" {
			t.Errorf("verify: %v", v)
		}
		if v := e.c.Post("/api/v1/records/verify", map[string]any{"credential": cred}).Want(t, http.StatusOK).Map(t); v["valid"] != true {
			t.Errorf("verify the credential: %v", v)
		}
		// The signed claims say path, not module.
		var claims map[string]any
		seg := strings.Split(cred, ".")[1]
		if err := decodeSegment(seg, &claims); err != nil || claims["kind"] != "path" || claims["path"] != "ai-starter" || claims["module"] != nil {
			t.Errorf("claims %v (%v)", claims, err)
		}
		html := string(e.c.Get("/api/v1/records/"+valid[0]+"/verify", apitest.Header("Accept", "text/html")).Want(t, http.StatusOK).Body)
		if !strings.Contains(html, "Learning path") {
			t.Errorf("verify page does not say it is a path:\n%s", html)
		}

		// Revoking a module record revokes the path record resting on it.
		var recs recordsPage
		learner.Get("/api/v1/me/records").Want(t, http.StatusOK).Decode(t, &recs)
		var moduleRec string
		for _, r := range recs.Items {
			if r.Kind == "module" && r.Module != nil && *r.Module == "prompting" {
				moduleRec = r.ID
			}
		}
		adminC.Post("/api/v1/records/"+moduleRec+"/revoke", map[string]any{"reason": "entered by mistake"}).Want(t, http.StatusOK)
		got := learner.Get("/api/v1/records/"+valid[0]).Want(t, http.StatusOK).Map(t)
		if got["status"] != "revoked" || !strings.Contains(got["revoke_reason"].(string), moduleRec) {
			t.Errorf("path record after revoking a module record: %v", got)
		}
		if st := status(); st != "in_progress" {
			t.Errorf("after the revocation: %s", st)
		}
		// Taking the module again issues a new path record.
		completeShort(t, learner, "prompting")
		all, valid, _ = pathRecords(t, learner)
		if len(all) != 2 || len(valid) != 1 {
			t.Errorf("after completing again: records %v, valid %v", all, valid)
		}
		revokedPath := all[0]
		if revokedPath == valid[0] {
			revokedPath = all[1]
		}
		var n int64
		e.db.R.Table("audit_events").Where("action = ? AND target = ?", "record.revoked", revokedPath).Count(&n)
		if n != 1 {
			t.Errorf("the path record's revocation is audited %d times, want once", n)
		}
	})
}

// Racing completions of a path's last modules issue exactly one path
// record, on both databases.
func TestRacingPathCompletions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		mods := []string{"step-one", "step-two", "step-three"}
		publishShort(t, e, mods...)
		publishDoc(t, e, catalog.KindPath, "three-steps", "---\ntitle: Three steps\nsummary: Three.\nmodules: [step-one, step-two, step-three]\n---\n")
		for round := range 4 {
			c, _ := e.as(identity.RoleLearner)
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			for i := range 9 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := c.Put("/api/v1/modules/"+mods[i%3]+"/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 10})
					mu.Lock()
					statuses[res.Status]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if statuses[http.StatusOK] != 9 {
				t.Fatalf("round %d: %v", round, statuses)
			}
			if all, _, _ := pathRecords(t, c); len(all) != 1 {
				t.Fatalf("round %d: %d path records", round, len(all))
			}
		}
	})
}

// The pulse flow: asked before once a module it is for is started, after
// once completed; each phase answered once.
func TestPulseFlowAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI")).Want(t, http.StatusCreated)
		publishDoc(t, e, catalog.KindPulse, "ai-pulse", "---\ntitle: AI pulse\nfor: [fair-ai]\n---\n\n## I understand AI {#understand}\n\n## I feel secure {#secure}\n")
		c, _ := e.as(identity.RoleLearner)
		waiting := func() []any { return c.Get("/api/v1/me/pulses").Want(t, http.StatusOK).Map(t)["items"].([]any) }
		if w := waiting(); len(w) != 0 {
			t.Fatalf("asked before starting: %v", w)
		}
		ans := map[string]any{"phase": "before", "answers": map[string]int{"understand": 2, "secure": 3}}
		c.Post("/api/v1/pulses/ai-pulse/responses", ans).Want(t, http.StatusConflict)
		c.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
		w := waiting()
		if len(w) != 1 || w[0].(map[string]any)["phase"] != "before" || len(w[0].(map[string]any)["items"].([]any)) != 2 {
			t.Fatalf("waiting after starting: %v", w)
		}
		c.Post("/api/v1/pulses/ai-pulse/responses", map[string]any{"phase": "before", "answers": map[string]int{"understand": 2}}).
			Want(t, http.StatusUnprocessableEntity).WantField(t, "answers.secure")
		c.Post("/api/v1/pulses/ai-pulse/responses", map[string]any{"phase": "before", "answers": map[string]int{"understand": 6, "secure": 1}}).
			Want(t, http.StatusUnprocessableEntity).WantField(t, "answers.understand")
		c.Post("/api/v1/pulses/ai-pulse/responses", map[string]any{"phase": "before", "answers": map[string]int{"understand": 2, "secure": 1, "other": 3}}).
			Want(t, http.StatusUnprocessableEntity).WantField(t, "answers")
		c.Post("/api/v1/pulses/ai-pulse/responses", map[string]any{"phase": "during", "answers": map[string]int{"understand": 2, "secure": 1}}).
			Want(t, http.StatusUnprocessableEntity).WantField(t, "phase")
		c.Post("/api/v1/pulses/no-pulse/responses", ans).Want(t, http.StatusNotFound)
		c.Post("/api/v1/pulses/ai-pulse/responses", ans).Want(t, http.StatusCreated)
		if res := c.Post("/api/v1/pulses/ai-pulse/responses", ans).Want(t, http.StatusConflict); problemType(t, res) != "pulse-already-answered" {
			t.Errorf("second answer: %s", res.Body)
		}
		if w := waiting(); len(w) != 0 {
			t.Fatalf("still waiting: %v", w)
		}
		after := map[string]any{"phase": "after", "answers": map[string]int{"understand": 4, "secure": 4}}
		if res := c.Post("/api/v1/pulses/ai-pulse/responses", after).Want(t, http.StatusConflict); problemType(t, res) != "pulse-not-asked" {
			t.Errorf("after before completing: %s", res.Body)
		}
		finishLessons(t, c, "fair-ai")
		a := openAttempt(t, c, "fair-ai")
		c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)
		w = waiting()
		if len(w) != 1 || w[0].(map[string]any)["phase"] != "after" {
			t.Fatalf("waiting after completing: %v", w)
		}
		c.Post("/api/v1/pulses/ai-pulse/responses", after).Want(t, http.StatusCreated)
		c.Post("/api/v1/pulses/ai-pulse/responses", after).Want(t, http.StatusConflict)
	})
}

// The readiness page lists the published pulses: HR, trainers and admins
// may, learners may not, and no answer is in the list.
func TestListPulsesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI")).Want(t, http.StatusCreated)
		hr, _ := e.as(identity.RoleHR)
		if items := hr.Get("/api/v1/pulses").Want(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 0 {
			t.Fatalf("pulses before any is published: %v", items)
		}
		publishDoc(t, e, catalog.KindPulse, "ai-pulse", "---\ntitle: AI pulse\nfor: [fair-ai]\n---\n\n## I understand AI {#understand}\n\n## I feel secure {#secure}\n")
		items := hr.Get("/api/v1/pulses").Want(t, http.StatusOK).Map(t)["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("pulses: %v", items)
		}
		got := items[0].(map[string]any)
		if got["slug"] != "ai-pulse" || got["title"] != "AI pulse" || got["revision"] != float64(1) || got["statements"] != float64(2) || fmt.Sprint(got["for"]) != "[fair-ai]" {
			t.Errorf("pulse listed as %v", got)
		}
		trainer.Get("/api/v1/pulses").Want(t, http.StatusOK)
		learner, _ := e.as(identity.RoleLearner)
		learner.Get("/api/v1/pulses").Want(t, http.StatusForbidden)
		hr.Get("/api/v1/pulses?limit=5").Want(t, http.StatusBadRequest)
	})
}

// seedAnswers stores answers straight into pulse_answers: n people of
// department dept answering phase with the values given per statement.
func seedAnswers(t *testing.T, e *testEnv, pulse, dept, phase string, people []identity.User, values map[string]int) {
	t.Helper()
	for _, u := range people {
		for item, v := range values {
			if err := e.db.W.Exec(`INSERT INTO pulse_answers (user_id, pulse, phase, item, value, revision, answered_at)
				VALUES (?, ?, ?, ?, ?, 1, ?)`, u.ID, pulse, phase, item, v, e.clock.Now()).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func people(e *testEnv, dept string, n int) []identity.User {
	out := make([]identity.User, n)
	for i := range out {
		out[i] = e.userIn(dept)
	}
	return out
}

type readinessBody struct {
	Pulse          string         `json:"pulse"`
	MinRespondents int            `json:"min_respondents"`
	Total          readinessGrp   `json:"total"`
	Groups         []readinessGrp `json:"groups"`
}

type readinessGrp struct {
	Key               string `json:"key"`
	RespondentsBefore int    `json:"respondents_before"`
	RespondentsAfter  int    `json:"respondents_after"`
	RespondentsBoth   int    `json:"respondents_both"`
	Suppressed        bool   `json:"suppressed"`
	Items             []struct {
		ID         string   `json:"id"`
		BeforeMean *float64 `json:"before_mean"`
		AfterMean  *float64 `json:"after_mean"`
		Change     *float64 `json:"change"`
	} `json:"items"`
}

func f(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// A seeded company with known answers: means, changes, respondents and
// every suppression rule, in JSON, CSV and XLSX.
func TestReadinessReportSeeded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishShort(t, e, "basics")
		publishDoc(t, e, catalog.KindPulse, "ready", "---\ntitle: Ready\nfor: [basics]\n---\n\n## I understand AI {#understand}\n\n## I feel secure {#secure}\n")
		// Sales: 6 before (understand 2, secure 3), 5 of them after (4, 4), one more person after (5, 5).
		sales := people(e, "Sales", 7)
		seedAnswers(t, e, "ready", "Sales", "before", sales[:6], map[string]int{"understand": 2, "secure": 3})
		seedAnswers(t, e, "ready", "Sales", "after", sales[1:6], map[string]int{"understand": 4, "secure": 4})
		seedAnswers(t, e, "ready", "Sales", "after", sales[6:], map[string]int{"understand": 5, "secure": 5})
		// Ops: 5 before (3, 3), 5 after (3, 2): shown on its own, suppressed as the complement.
		ops := people(e, "Ops", 5)
		seedAnswers(t, e, "ready", "Ops", "before", ops, map[string]int{"understand": 3, "secure": 3})
		seedAnswers(t, e, "ready", "Ops", "after", ops, map[string]int{"understand": 3, "secure": 2})
		// Legal: 3 before, 6 after: below five in a phase.
		legal := people(e, "Legal", 6)
		seedAnswers(t, e, "ready", "Legal", "before", legal[:3], map[string]int{"understand": 1, "secure": 1})
		seedAnswers(t, e, "ready", "Legal", "after", legal, map[string]int{"understand": 5, "secure": 5})
		// Finance: 7 before (understand 1 ×4 and 4 ×3 → 19/7), 8 after (5).
		fin := people(e, "Finance", 8)
		seedAnswers(t, e, "ready", "Finance", "before", fin[:4], map[string]int{"understand": 1, "secure": 2})
		seedAnswers(t, e, "ready", "Finance", "before", fin[4:7], map[string]int{"understand": 4, "secure": 2})
		seedAnswers(t, e, "ready", "Finance", "after", fin, map[string]int{"understand": 5, "secure": 3})

		hrC, _ := e.as(identity.RoleHR)
		var r readinessBody
		hrC.Get("/api/v1/reports/readiness?pulse=ready&group_by=department").Want(t, http.StatusOK).Decode(t, &r)
		got := map[string]string{}
		for _, g := range append([]readinessGrp{r.Total}, r.Groups...) {
			s := fmt.Sprintf("%d/%d/%d suppressed=%v", g.RespondentsBefore, g.RespondentsAfter, g.RespondentsBoth, g.Suppressed)
			for _, it := range g.Items {
				s += fmt.Sprintf(" %s:%s,%s,%s", it.ID, f(it.BeforeMean), f(it.AfterMean), f(it.Change))
			}
			got[g.Key] = s
		}
		want := map[string]string{
			// Total: before understand (6×2+5×3+3×1+4×1+3×4)/21 = 46/21 = 2.19; after (5×4+5+5×3+6×5+8×5)/25 = 4.4.
			"":        "21/25/20 suppressed=false understand:2.19,4.4,2.21 secure:2.38,3.56,1.18",
			"Sales":   "6/6/5 suppressed=false understand:2,4.17,2.17 secure:3,4.17,1.17",
			"Ops":     "5/5/5 suppressed=true understand:null,null,null secure:null,null,null",
			"Legal":   "3/6/3 suppressed=true understand:null,null,null secure:null,null,null",
			"Finance": "7/8/7 suppressed=false understand:2.29,5,2.71 secure:2,3,1",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("group %q:\n got %s\nwant %s", k, got[k], w)
			}
		}
		if len(r.Groups) != 4 || r.MinRespondents != 5 {
			t.Errorf("groups %d, min %d", len(r.Groups), r.MinRespondents)
		}

		// CSV and XLSX say the same and hide the same.
		csv := string(hrC.Get("/api/v1/reports/readiness?pulse=ready&format=csv").Want(t, http.StatusOK).Body)
		for _, line := range []string{
			"pulse,level,group,respondents_before,respondents_after,respondents_both,suppressed,item,item_text,before_mean,after_mean,change",
			"ready,department,Legal,3,6,3,true,understand,I understand AI,,,",
			"ready,department,Ops,5,5,5,true,secure,I feel secure,,,",
			"ready,department,Sales,6,6,5,false,understand,I understand AI,2,4.17,2.17",
			"ready,total,,21,25,20,false,secure,I feel secure,2.38,3.56,1.18",
		} {
			if !strings.Contains(csv, line+"\n") {
				t.Errorf("CSV lacks %q:\n%s", line, csv)
			}
		}
		xlsx := hrC.Get("/api/v1/reports/readiness?pulse=ready&format=xlsx").Want(t, http.StatusOK)
		if !bytes.HasPrefix(xlsx.Body, []byte("PK")) {
			t.Errorf("XLSX is not a zip")
		}
		hrC.Get("/api/v1/reports/readiness").Want(t, http.StatusUnprocessableEntity).WantField(t, "pulse")
		hrC.Get("/api/v1/reports/readiness?pulse=nope").Want(t, http.StatusUnprocessableEntity).WantField(t, "pulse")
		hrC.Get("/api/v1/reports/readiness?pulse=ready&group_by=module").Want(t, http.StatusUnprocessableEntity).WantField(t, "group_by")
		hrC.Get("/api/v1/reports/readiness?pulse=ready&format=pdf").Want(t, http.StatusBadRequest)
		hrC.Get("/api/v1/reports/readiness?pulse=ready&who=me").Want(t, http.StatusBadRequest)
		var audited int64
		e.db.R.Table("audit_events").Where("action = ? AND target = ?", "report.exported", "readiness").Count(&audited)
		if audited != 3 {
			t.Errorf("%d readiness reports audited, want 3", audited)
		}
		learner, _ := e.as(identity.RoleLearner)
		learner.Get("/api/v1/reports/readiness?pulse=ready").Want(t, http.StatusForbidden)
		learner.Get("/api/v1/reports/adoption").Want(t, http.StatusForbidden)
	})
}

// A person's answers appear in no response but their own: every GET
// route, as HR, an admin, the person's manager and another learner, with
// the person's ids in the path. The person is the only respondent of
// their department, whose group is suppressed.
func TestPulseAnswersStayPrivate(t *testing.T) {
	e := newTestEnv(t)
	trainer, _ := e.as(identity.RoleTrainer)
	trainer.Put("/api/v1/modules/fair-ai", shortModule("Fair AI")).Want(t, http.StatusCreated)
	publishDoc(t, e, catalog.KindPulse, "zq-pulse", "---\ntitle: Zq pulse\nfor: [fair-ai]\n---\n\n## Zq statement one {#zq-first}\n\n## Zq statement two {#zq-second}\n")
	mgrC, mgr := e.as(identity.RoleLearner)
	person := e.userIn("Tiny")
	patchManager(t, e, person.ID, mgr.ID)
	pc := e.c.As(e.token(person))
	pc.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": false, "seconds_spent": 30}).Want(t, http.StatusOK)
	// Started without completing: enrolled, so asked before.
	e.db.W.Exec("INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at) VALUES (?, 'fair-ai', 1, ?, ?) ON CONFLICT DO NOTHING", person.ID, e.clock.Now(), e.clock.Now())
	pc.Post("/api/v1/pulses/zq-pulse/responses", map[string]any{"phase": "before", "answers": map[string]int{"zq-first": 1, "zq-second": 5}}).Want(t, http.StatusCreated)
	completeShort(t, pc, "fair-ai")
	pc.Post("/api/v1/pulses/zq-pulse/responses", map[string]any{"phase": "after", "answers": map[string]int{"zq-first": 5, "zq-second": 1}}).Want(t, http.StatusCreated)

	var recs recordsPage
	pc.Get("/api/v1/me/records").Want(t, http.StatusOK).Decode(t, &recs)
	hrC, _ := e.as(identity.RoleHR)
	adminC, _ := e.as(identity.RoleAdmin)
	otherC, _ := e.as(identity.RoleLearner)
	params := map[string]string{"{id}": person.ID, "{slug}": "fair-ai", "{lesson}": "intro", "{file}": "none.png"}
	if len(recs.Items) > 0 {
		params["{id}"] = person.ID
	}
	viewers := map[string]*apitest.Client{"hr": hrC, "admin": adminC, "manager": mgrC, "other learner": otherC}
	checked := 0
	for _, rt := range e.srv.routeTable() {
		if rt.Method != http.MethodGet || rt.Path == "/metrics" {
			continue
		}
		paths := []string{rt.Path}
		if strings.Contains(rt.Path, "{id}") && len(recs.Items) > 0 {
			paths = append(paths, strings.ReplaceAll(rt.Path, "{id}", recs.Items[0].ID))
		}
		if rt.Path == "/api/v1/reports/readiness" {
			paths = []string{rt.Path + "?pulse=zq-pulse", rt.Path + "?pulse=zq-pulse&format=csv"}
		}
		if rt.Path == "/api/v1/reports/completions" || rt.Path == "/api/v1/reports/adoption" {
			paths = append(paths, rt.Path+"?format=csv")
		}
		for _, p := range paths {
			for k, v := range params {
				p = strings.ReplaceAll(p, k, v)
			}
			for who, c := range viewers {
				res := c.Get(p)
				body := string(res.Body)
				checked++
				mentionsPerson := strings.Contains(body, person.ID) || strings.Contains(body, person.Email) || strings.Contains(body, person.Name)
				if mentionsPerson && (strings.Contains(body, "zq-first") || strings.Contains(body, "zq-second")) {
					t.Errorf("%s GET %s shows the person with their pulse:\n%s", who, p, body)
				}
				if strings.Contains(body, "zq-first") && (strings.Contains(body, `"before_mean":1`) || strings.Contains(body, `"after_mean":5`) ||
					strings.Contains(body, ",1,5,") || strings.Contains(body, ",5,1,")) {
					t.Errorf("%s GET %s shows the person's answers:\n%s", who, p, body)
				}
			}
		}
	}
	var r readinessBody
	hrC.Get("/api/v1/reports/readiness?pulse=zq-pulse").Want(t, http.StatusOK).Decode(t, &r)
	if len(r.Groups) != 1 || !r.Groups[0].Suppressed || !r.Total.Suppressed || r.Groups[0].Items[0].BeforeMean != nil || r.Total.Items[0].AfterMean != nil {
		t.Errorf("a group of one is not suppressed: %+v", r)
	}
	if checked < 100 {
		t.Errorf("walked only %d requests", checked)
	}
}

func patchManager(t *testing.T, e *testEnv, userID, managerID string) {
	t.Helper()
	admin := e.c.As(e.token(e.user(identity.RoleAdmin)))
	admin.Patch("/api/v1/users/"+userID, map[string]any{"manager_id": managerID}).Want(t, http.StatusOK)
}

// A manager sees their direct reports' assignments, status, due dates and
// overdue count, and nothing else of them; someone without reports gets an
// empty list. Managers are set by the CSV import's manager_email column.
func TestManagerTeamAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI")).Want(t, http.StatusCreated)
		publishShort(t, e, "basics")
		publishDoc(t, e, catalog.KindPath, "starter", "---\ntitle: Starter\nsummary: S.\nmodules: [basics]\n---\n")
		publishDoc(t, e, catalog.KindPulse, "team-pulse", "---\ntitle: Team pulse\nfor: [fair-ai]\n---\n\n## Secret statement {#secret-item}\n")
		hrC, _ := e.as(identity.RoleHR)
		csv := "email,name,department,employee_id,manager_email\n" +
			"boss@example.com,Bo Boss,Sales,M1,\n" +
			"ann@example.com,Ann Report,Sales,R1,boss@example.com\n" +
			"ben@example.com,Ben Report,Sales,R2,BOSS@example.com\n" +
			"cat@example.com,Cat Other,Sales,R3,ann@example.com\n"
		hrC.Do(http.MethodPost, "/api/v1/users/import", csv, apitest.Header("Content-Type", "text/csv")).Want(t, http.StatusOK)
		bad := "email,name,department,employee_id,manager_email\nboss@example.com,Bo Boss,Sales,M1,cat@example.com\n"
		res := hrC.Do(http.MethodPost, "/api/v1/users/import", bad, apitest.Header("Content-Type", "text/csv")).Want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(res.Body), "reports to this one") {
			t.Errorf("a loop through the import: %s", res.Body)
		}
		unknown := "email,name,department,employee_id,manager_email\nann@example.com,Ann Report,Sales,R1,nobody@example.com\n"
		hrC.Do(http.MethodPost, "/api/v1/users/import", unknown, apitest.Header("Content-Type", "text/csv")).Want(t, http.StatusUnprocessableEntity)

		users := map[string]identity.User{}
		for _, em := range []string{"boss@example.com", "ann@example.com", "ben@example.com", "cat@example.com"} {
			var id string
			if err := e.db.R.Table("users").Select("id").Where("email = ?", em).Scan(&id).Error; err != nil || id == "" {
				t.Fatalf("%s: %v", em, err)
			}
			u, err := e.ids.GetUser(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			users[em] = u
		}
		ann, ben := users["ann@example.com"], users["ben@example.com"]
		now := e.clock.Now()
		hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{ann.ID, ben.ID}, "due_at": rfc(now.AddDate(0, 0, 3))}).Want(t, http.StatusCreated)
		hrC.Post("/api/v1/assignments", map[string]any{"path": "starter", "user_ids": []string{ann.ID}, "due_at": rfc(now.AddDate(0, 0, 10))}).Want(t, http.StatusCreated)
		annC := e.c.As(e.token(ann))
		finishLessons(t, annC, "fair-ai")
		a := openAttempt(t, annC, "fair-ai")
		annC.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK) // a failing score
		annC.Post("/api/v1/pulses/team-pulse/responses", map[string]any{"phase": "before", "answers": map[string]int{"secret-item": 1}}).Want(t, http.StatusCreated)
		e.clock.Advance(5 * 24 * time.Hour)

		boss := e.c.As(e.token(users["boss@example.com"]))
		body := boss.Get("/api/v1/me/team").Want(t, http.StatusOK)
		var team struct {
			Items []struct {
				ID           string `json:"id"`
				Name         string `json:"name"`
				OverdueCount int    `json:"overdue_count"`
				Assignments  []struct {
					Module  string  `json:"module"`
					Path    *string `json:"path"`
					Status  string  `json:"status"`
					Overdue bool    `json:"overdue"`
				} `json:"assignments"`
			} `json:"items"`
		}
		body.Decode(t, &team)
		if len(team.Items) != 2 || team.Items[0].ID != ann.ID || team.Items[1].ID != ben.ID {
			t.Fatalf("team: %s", body.Body)
		}
		annRow := team.Items[0]
		if annRow.OverdueCount != 1 || len(annRow.Assignments) != 2 || annRow.Assignments[0].Module != "fair-ai" ||
			annRow.Assignments[0].Status != "in_progress" || !annRow.Assignments[0].Overdue ||
			annRow.Assignments[1].Path == nil || *annRow.Assignments[1].Path != "starter" {
			t.Errorf("Ann's row: %s", body.Body)
		}
		for _, leak := range []string{"score", "secret-item", "team-pulse", "answers", "best"} {
			if strings.Contains(string(body.Body), leak) {
				t.Errorf("the team view shows %q: %s", leak, body.Body)
			}
		}
		// Cat reports to Ann, not to the boss: not in the boss's team.
		annC = e.c.As(e.token(ann))
		annTeam := annC.Get("/api/v1/me/team").Want(t, http.StatusOK).Map(t)["items"].([]any)
		if len(annTeam) != 1 || annTeam[0].(map[string]any)["id"] != users["cat@example.com"].ID {
			t.Errorf("Ann's team: %v", annTeam)
		}
		catC := e.c.As(e.token(users["cat@example.com"]))
		if items := catC.Get("/api/v1/me/team").Want(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 0 {
			t.Errorf("no reports, yet: %v", items)
		}
		// The manager may not read their reports through HR's routes.
		boss.Get("/api/v1/users/"+ann.ID).Want(t, http.StatusForbidden)
		boss.Get("/api/v1/reports/completions").Want(t, http.StatusForbidden)
		boss.Get("/api/v1/records/"+ann.ID).Want(t, http.StatusNotFound)
		boss.Get("/api/v1/me/team?user="+ann.ID).Want(t, http.StatusBadRequest)
	})
}

// The adoption report: completions, hours, feedback and overdue per
// department and week, with readiness suppressed like the readiness
// report.
func TestAdoptionReportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db) // the clock: Monday 2 March 2026
		publishShort(t, e, "basics")
		publishDoc(t, e, catalog.KindPulse, "ready", "---\ntitle: Ready\nfor: [basics]\n---\n\n## I understand AI {#understand}\n")
		hrC, _ := e.as(identity.RoleHR)
		sales := people(e, "Sales", 6)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "basics", "departments": []string{"Sales"}, "due_at": rfc(e.clock.Now().AddDate(0, 0, 2))}).Want(t, http.StatusCreated)
		for _, u := range sales[:3] {
			c := e.c.As(e.token(u))
			c.Put("/api/v1/modules/basics/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 240}).Want(t, http.StatusOK)
			c.Post("/api/v1/modules/basics/feedback", map[string]any{"rating": 4}).Want(t, http.StatusCreated)
		}
		seedAnswers(t, e, "ready", "Sales", "before", sales, map[string]int{"understand": 2})
		seedAnswers(t, e, "ready", "Sales", "after", sales[:5], map[string]int{"understand": 4})
		e.clock.Advance(7 * 24 * time.Hour)
		hrC, _ = e.as(identity.RoleHR)
		var a struct {
			From, To string
			Rows     []map[string]any
		}
		hrC.Get("/api/v1/reports/adoption?from=2026-03-02&to=2026-03-09").Want(t, http.StatusOK).Decode(t, &a)
		if a.From != "2026-03-02" || a.To != "2026-03-15" {
			t.Errorf("range %s..%s", a.From, a.To)
		}
		byKey := map[string]map[string]any{}
		for _, r := range a.Rows {
			byKey[r["department"].(string)+"/"+r["week"].(string)] = r
		}
		w1, w2 := byKey["Sales/2026-03-02"], byKey["Sales/2026-03-09"]
		if w1 == nil || w2 == nil {
			t.Fatalf("rows: %v", a.Rows)
		}
		// Three completions of 4 minutes = 0.2 hours; three 4-star ratings;
		// three people missed the due date (4 March) that week.
		if w1["completions"] != float64(3) || w1["training_hours"] != 0.2 || w1["average_feedback"] != float64(4) ||
			w1["overdue"] != float64(3) || w1["readiness_change"] != float64(2) || w1["readiness_suppressed"] != false {
			t.Errorf("first week: %v", w1)
		}
		if w2["completions"] != float64(0) || w2["readiness_change"] != float64(2) || w2["overdue"] != float64(0) {
			t.Errorf("second week (readiness carries over): %v", w2)
		}
		// The HR user's own department has no answers: shown as suppressed, never as a figure.
		for k, r := range byKey {
			if !strings.HasPrefix(k, "Sales/") && r["readiness_change"] != nil {
				t.Errorf("%s: %v", k, r)
			}
		}
		csv := string(hrC.Get("/api/v1/reports/adoption?from=2026-03-02&to=2026-03-09&format=csv").Want(t, http.StatusOK).Body)
		if !strings.Contains(csv, "department,week,completions,training_hours,readiness_change,readiness_suppressed") ||
			!strings.Contains(csv, "Sales,2026-03-02,3,0.2,2,false,6,5,4,3,3\n") {
			t.Errorf("CSV:\n%s", csv)
		}
		x := hrC.Get("/api/v1/reports/adoption?format=xlsx").Want(t, http.StatusOK)
		if !bytes.HasPrefix(x.Body, []byte("PK")) {
			t.Error("XLSX is not a zip")
		}
		hrC.Get("/api/v1/reports/adoption?from=2026-13-01").Want(t, http.StatusBadRequest)
		hrC.Get("/api/v1/reports/adoption?from=2020-01-01&to=2026-01-01").Want(t, http.StatusUnprocessableEntity)
		hrC.Get("/api/v1/reports/adoption?from=2026-03-09&to=2026-03-01").Want(t, http.StatusUnprocessableEntity)
		var raw json.RawMessage
		hrC.Get("/api/v1/reports/adoption").Want(t, http.StatusOK).Decode(t, &raw)
	})
}

// Trainers publish paths and pulses through the API as the import does:
// new revision, unchanged, problems with file and line; one namespace.
func TestPublishPathsAndPulsesAPI(t *testing.T) {
	e := newTestEnv(t)
	publishShort(t, e, "basics")
	trainer, _ := e.as(identity.RoleTrainer)
	learner, _ := e.as(identity.RoleLearner)
	body := func(file, src string) map[string]any { return map[string]any{"files": map[string]string{file: src}} }
	path := "---\ntitle: Starter\nsummary: S.\nmodules: [basics]\n---\n"
	learner.Put("/api/v1/paths/starter", body("path.md", path)).Want(t, http.StatusForbidden)
	if r := trainer.Put("/api/v1/paths/starter", body("path.md", path)).Want(t, http.StatusCreated).Map(t); r["revision"] != float64(1) {
		t.Errorf("first publish: %v", r)
	}
	if r := trainer.Put("/api/v1/paths/starter", body("path.md", path)).Want(t, http.StatusOK).Map(t); r["created"] != false {
		t.Errorf("unchanged: %v", r)
	}
	if r := trainer.Put("/api/v1/paths/starter", body("path.md", strings.Replace(path, "S.", "Short.", 1))).Want(t, http.StatusCreated).Map(t); r["revision"] != float64(2) {
		t.Errorf("changed: %v", r)
	}
	res := trainer.Put("/api/v1/paths/other", body("path.md", "---\ntitle: Other\nsummary: S.\nmodules: [basics, nope]\n---\n")).Want(t, http.StatusUnprocessableEntity)
	if ps := problems(t, res); !hasProblem(ps, `paths/other.md:4: modules names "nope"`) {
		t.Errorf("problems: %v", ps)
	}
	trainer.Put("/api/v1/paths/basics", body("path.md", path)).Want(t, http.StatusUnprocessableEntity)
	trainer.Put("/api/v1/paths/starter", body("module.md", path)).Want(t, http.StatusUnprocessableEntity).WantField(t, "files")
	pulse := "---\ntitle: Ready\nfor: [starter]\n---\n\n## I am ready {#ready}\n"
	trainer.Put("/api/v1/pulses/ready", body("pulse.md", pulse)).Want(t, http.StatusCreated)
	trainer.Put("/api/v1/pulses/starter", body("pulse.md", pulse)).Want(t, http.StatusUnprocessableEntity)
	trainer.Put("/api/v1/modules/ready", shortModule("Ready")).Want(t, http.StatusUnprocessableEntity)
	if items := learner.Get("/api/v1/paths").Want(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 1 ||
		items[0].(map[string]any)["summary"] != "Short." {
		t.Errorf("paths: %v", items)
	}
}
