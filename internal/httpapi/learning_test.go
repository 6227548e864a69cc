package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// course is a module upload for learning tests: lessons intro, practice
// and wrap-up, and a quiz whose correct choices start with "Right".
func course(title string, front ...string) map[string]any {
	files := map[string]string{
		"module.md": fmt.Sprintf("---\ntitle: %s\nsummary: A course on %s.\ntopics: [ethics]\n%s---\n\nOverview.\n",
			title, title, strings.Join(append(front, ""), "\n")),
		"lessons/01-intro.md":    "# Intro\n\nWhy it matters.\n",
		"lessons/02-practice.md": "# Practice\n\nHow to do it.\n",
		"lessons/03-wrap-up.md":  "# Wrap-up\n\nWhat to remember.\n",
		"quiz.md": "## Which is fair?\n\n- [x] Right: audit the data\n- [ ] Wrong: ship it\n- [ ] Wrong: guess\n\n> Audits find bias.\n\n" +
			"## Which two help?\n\n- [x] Right: consent\n- [x] Right: minimisation\n- [ ] Wrong: hoarding\n\n> Both protect people.\n\n" +
			"## Who decides?\n\n- [ ] Wrong: the model\n- [x] Right: a person\n\n> People stay accountable.\n",
	}
	return map[string]any{"files": files}
}

// Decoded shapes of the learning answers.
type (
	progressBody struct {
		Module           string      `json:"module"`
		Revision         int         `json:"revision"`
		Status           string      `json:"status"`
		LessonsCompleted int         `json:"lessons_completed"`
		LessonCount      int         `json:"lesson_count"`
		Percent          int         `json:"percent"`
		QuizPassed       bool        `json:"quiz_passed"`
		BestScore        *int        `json:"best_score"`
		AttemptsUsed     int         `json:"attempts_used"`
		AttemptsLeft     *int        `json:"attempts_left"`
		Completion       *recordBody `json:"completion"`
	}
	recordBody struct {
		ID          string  `json:"id"`
		UserID      string  `json:"user_id"`
		HolderName  string  `json:"holder_name"`
		Module      string  `json:"module"`
		ModuleTitle string  `json:"module_title"`
		Revision    int     `json:"revision"`
		ContentHash string  `json:"content_hash"`
		Score       *int    `json:"score"`
		IssuedAt    string  `json:"issued_at"`
		ExpiresAt   *string `json:"expires_at"`
		Status      string  `json:"status"`
		Credential  string  `json:"credential"`
	}
	attemptBody struct {
		ID        string `json:"id"`
		Module    string `json:"module"`
		Revision  int    `json:"revision"`
		Questions []struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			Choices []struct {
				ID       string `json:"id"`
				TextHTML string `json:"text_html"`
			} `json:"choices"`
		} `json:"questions"`
	}
	resultBody struct {
		Score      int         `json:"score"`
		Passed     bool        `json:"passed"`
		PassMark   int         `json:"pass_mark"`
		Results    []any       `json:"results"`
		Completion *recordBody `json:"completion"`
	}
	verifyBody struct {
		Valid  bool           `json:"valid"`
		Status string         `json:"status"`
		Record map[string]any `json:"record"`
	}
)

// answersFor picks the "Right" choices, or one wrong choice per question.
func (a attemptBody) answersFor(right bool) map[string]any {
	out := map[string][]string{}
	for _, q := range a.Questions {
		picks := []string{}
		for _, c := range q.Choices {
			isRight := strings.HasPrefix(c.TextHTML, "Right")
			if (right && isRight) || (!right && !isRight && len(picks) == 0) {
				picks = append(picks, c.ID)
			}
		}
		out[q.ID] = picks
	}
	return map[string]any{"answers": out}
}

func progressOf(t *testing.T, res *apitest.Response) progressBody {
	t.Helper()
	var p progressBody
	res.Decode(t, &p)
	return p
}

func problemType(t *testing.T, res *apitest.Response) string {
	t.Helper()
	return strings.TrimPrefix(res.Map(t)["type"].(string), ProblemTypeBase)
}

// finishLessons marks every lesson of the course done.
func finishLessons(t *testing.T, c *apitest.Client, slug string) progressBody {
	t.Helper()
	var p progressBody
	for _, l := range []string{"intro", "practice", "wrap-up"} {
		p = progressOf(t, c.Put("/api/v1/modules/"+slug+"/lessons/"+l+"/progress",
			map[string]any{"completed": true, "seconds_spent": 120}).Want(t, http.StatusOK))
	}
	return p
}

// publishCourse publishes the test course as slug, as a trainer would.
func publishCourse(t *testing.T, e *testEnv, slug, title string, front ...string) {
	t.Helper()
	trainer, _ := e.as(identity.RoleTrainer)
	trainer.Put("/api/v1/modules/"+slug, course(title, front...)).Want(t, http.StatusCreated)
}

// openAttempt opens a quiz attempt on slug.
func openAttempt(t *testing.T, c *apitest.Client, slug string) attemptBody {
	t.Helper()
	var a attemptBody
	c.Post("/api/v1/modules/"+slug+"/attempts", nil).Want(t, http.StatusCreated).Decode(t, &a)
	return a
}

// The learner's whole way, through the real router, every answer checked
// against api/openapi.yaml: lessons, quiz, record, verification, PDF.
func TestLearnerJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "valid_for: 1y", "max_attempts: 3", "pass_mark: 60")).Want(t, http.StatusCreated)
		c, me := e.as(identity.RoleLearner)
		other, _ := e.as(identity.RoleLearner)
		hrC, _ := e.as(identity.RoleHR)
		adminC, _ := e.as(identity.RoleAdmin)

		p := progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
		if p.Status != "not_started" || p.LessonCount != 3 || p.Revision != 1 || p.AttemptsLeft == nil || *p.AttemptsLeft != 3 {
			t.Fatalf("before = %+v", p)
		}
		if typ := problemType(t, c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusConflict)); typ != "lessons-unfinished" {
			t.Fatalf("attempt before lessons: %s", typ)
		}
		c.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"seconds_spent": 86401}).Want(t, http.StatusUnprocessableEntity)
		c.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"seconds_spent": 1.5}).Want(t, http.StatusUnprocessableEntity)
		c.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"seconds_spent": "ten"}).Want(t, http.StatusBadRequest)
		c.Put("/api/v1/modules/fair-ai/lessons/nope/progress", map[string]any{"completed": true}).Want(t, http.StatusNotFound)

		// Read the first lesson, then report it.
		c.Get("/api/v1/modules/fair-ai/lessons/intro").Want(t, http.StatusOK)
		p = progressOf(t, c.Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 300}).Want(t, http.StatusOK))
		if p.Status != "in_progress" || p.LessonsCompleted != 1 || p.Percent != 25 {
			t.Fatalf("after one lesson = %+v", p)
		}
		p = finishLessons(t, c, "fair-ai")
		if p.LessonsCompleted != 3 || p.Percent != 75 || p.Completion != nil {
			t.Fatalf("after the lessons = %+v", p)
		}
		var enrolled list[progressBody]
		c.Get("/api/v1/me/enrollments").Want(t, http.StatusOK).Decode(t, &enrolled)
		if len(enrolled.Items) != 1 || enrolled.Items[0].Module != "fair-ai" {
			t.Fatalf("enrollments = %+v", enrolled)
		}

		a := openAttempt(t, c, "fair-ai")
		var again attemptBody
		c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusOK).Decode(t, &again)
		if again.ID != a.ID || len(a.Questions) != 3 {
			t.Fatalf("attempt %+v, again %+v", a, again)
		}
		bad := c.Post("/api/v1/attempts/"+a.ID+"/submit", map[string]any{"answers": map[string]any{"q1": []string{"q1-c1"}}}).Want(t, http.StatusUnprocessableEntity)
		if strings.Contains(string(bad.Body), "Right") {
			t.Fatalf("422 reveals a choice: %s", bad.Body)
		}
		other.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusNotFound)

		var res resultBody
		c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
		if res.Score != 100 || !res.Passed || res.PassMark != 60 || len(res.Results) != 3 || res.Completion == nil {
			t.Fatalf("result = %+v", res)
		}
		if typ := problemType(t, c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusConflict)); typ != "attempt-submitted" {
			t.Fatalf("second submit: %s", typ)
		}
		if typ := problemType(t, c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusConflict)); typ != "already-completed" {
			t.Fatalf("attempt after completion: %s", typ)
		}
		rec := res.Completion
		if rec.UserID != me.ID || rec.HolderName != me.Name || rec.Revision != 1 || *rec.Score != 100 || rec.ExpiresAt == nil || rec.Status != "valid" {
			t.Fatalf("record = %+v", rec)
		}
		p = progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
		if p.Status != "completed" || p.Percent != 100 || !p.QuizPassed || p.Completion == nil || p.Completion.ID != rec.ID {
			t.Fatalf("completed progress = %+v", p)
		}

		// Who sees the record.
		var mine list[recordBody]
		c.Get("/api/v1/me/records").Want(t, http.StatusOK).Decode(t, &mine)
		if len(mine.Items) != 1 || mine.Items[0].ID != rec.ID {
			t.Fatalf("me/records = %+v", mine)
		}
		for _, who := range []*apitest.Client{c, hrC, adminC} {
			who.Get("/api/v1/records/"+rec.ID).Want(t, http.StatusOK)
		}
		trainer.Get("/api/v1/records/"+rec.ID).Want(t, http.StatusNotFound)
		other.Get("/api/v1/records/"+rec.ID).Want(t, http.StatusNotFound)
		other.Get("/api/v1/records/"+rec.ID+"/certificate.pdf").Want(t, http.StatusNotFound)

		// The certificate.
		pdf := c.Get("/api/v1/records/"+rec.ID+"/certificate.pdf").Want(t, http.StatusOK)
		if pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf.Body), "%PDF-") ||
			pdf.Header.Get("Content-Disposition") != `inline; filename="upskill-record-`+rec.ID+`.pdf"` {
			t.Fatalf("certificate: %v %q", pdf.Header, pdf.Body[:min(len(pdf.Body), 8)])
		}
		hrC.Get("/api/v1/records/"+rec.ID+"/certificate.pdf").Want(t, http.StatusOK)

		// Anyone verifies, by id or credential; no email in the answer.
		var v verifyBody
		vres := e.c.Get("/api/v1/records/"+rec.ID+"/verify").Want(t, http.StatusOK)
		vres.Decode(t, &v)
		if !v.Valid || v.Status != "valid" || v.Record["holder_name"] != me.Name || strings.Contains(string(vres.Body), me.Email) {
			t.Fatalf("verify = %s", vres.Body)
		}
		e.c.Post("/api/v1/records/verify", map[string]any{"credential": rec.Credential}).Want(t, http.StatusOK).Decode(t, &v)
		if !v.Valid || v.Record["id"] != rec.ID {
			t.Fatalf("verify credential = %+v", v)
		}
		e.c.Get("/api/v1/records/no-such-record/verify").Want(t, http.StatusNotFound)

		// Independently of our code: the JWKS and crypto/ed25519 alone.
		jwks := e.c.Get("/.well-known/jwks.json").Want(t, http.StatusOK).Body
		claims, err := verifyOffline(jwks, rec.Credential)
		if err != nil {
			t.Fatalf("offline check: %v", err)
		}
		if claims["jti"] != rec.ID || claims["sub"] != me.ID || claims["iss"] != testBaseURL || claims["module"] != "fair-ai" ||
			claims["revision"] != 1.0 || claims["content_hash"] != rec.ContentHash || claims["score"] != 100.0 ||
			claims["holder_name"] != me.Name || claims["exp"] == nil || claims["nbf"] != claims["iat"] {
			t.Fatalf("claims = %v", claims)
		}

		// Feedback.
		c.Post("/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 4, "comment": "Clear"}).Want(t, http.StatusCreated)
		c.Post("/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 5, "comment": "Clear and short"}).Want(t, http.StatusOK)
		other.Post("/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 2}).Want(t, http.StatusCreated)
		other.Post("/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 9}).Want(t, http.StatusUnprocessableEntity)
		c.Get("/api/v1/modules/fair-ai/feedback").Want(t, http.StatusForbidden)
		fb := trainer.Get("/api/v1/modules/fair-ai/feedback").Want(t, http.StatusOK)
		var sum struct {
			Count         int            `json:"count"`
			AverageRating float64        `json:"average_rating"`
			Distribution  map[string]int `json:"distribution"`
			Comments      []struct {
				Comment string `json:"comment"`
			} `json:"comments"`
		}
		fb.Decode(t, &sum)
		if sum.Count != 2 || sum.AverageRating != 3.5 || sum.Distribution["5"] != 1 || sum.Distribution["2"] != 1 ||
			len(sum.Comments) != 1 || sum.Comments[0].Comment != "Clear and short" || strings.Contains(string(fb.Body), me.Name) {
			t.Fatalf("feedback = %s", fb.Body)
		}

		// Revocation: audited, verifies as revoked, and the module counts again.
		adminC.Post("/api/v1/records/"+rec.ID+"/revoke", map[string]any{}).Want(t, http.StatusUnprocessableEntity)
		c.Post("/api/v1/records/"+rec.ID+"/revoke", map[string]any{"reason": "mine"}).Want(t, http.StatusForbidden)
		revoked := adminC.Post("/api/v1/records/"+rec.ID+"/revoke", map[string]any{"reason": "Shared answers"}).Want(t, http.StatusOK).Map(t)
		if revoked["status"] != "revoked" || revoked["revoke_reason"] != "Shared answers" {
			t.Fatalf("revoked = %v", revoked)
		}
		if typ := problemType(t, adminC.Post("/api/v1/records/"+rec.ID+"/revoke", map[string]any{"reason": "again"}).Want(t, http.StatusConflict)); typ != "record-revoked" {
			t.Fatalf("revoke twice: %s", typ)
		}
		e.c.Post("/api/v1/records/verify", map[string]any{"credential": rec.Credential}).Want(t, http.StatusOK).Decode(t, &v)
		if v.Valid || v.Status != "revoked" {
			t.Fatalf("verify revoked = %+v", v)
		}
		audit := adminC.Get("/api/v1/audit?action=record.revoked").Want(t, http.StatusOK).Map(t)
		if items := audit["items"].([]any); len(items) != 1 || items[0].(map[string]any)["target"] != rec.ID {
			t.Fatalf("audit = %v", audit)
		}
		p = progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
		if p.Status != "in_progress" || p.Completion != nil || p.AttemptsUsed != 0 {
			t.Fatalf("after revocation = %+v", p)
		}
		c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusCreated)
	})
}

// With the test clock: a record expires, the module shows expired, and
// taking it again issues a new record.
func TestExpiryAndRecertificationOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	trainer, _ := e.as(identity.RoleTrainer)
	trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "valid_for: 30d")).Want(t, http.StatusCreated)
	c, me := e.as(identity.RoleLearner)
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	var first resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &first)
	if first.Completion == nil || *first.Completion.ExpiresAt != "2026-04-01T09:00:00Z" {
		t.Fatalf("first record = %+v", first.Completion)
	}

	e.clock.Advance(30 * 24 * time.Hour)
	c = e.c.As(e.token(me)) // the old access token expired with the clock
	p := progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
	if p.Status != "expired" || p.Completion == nil || p.Completion.Status != "expired" || p.Percent != 75 {
		t.Fatalf("expired progress = %+v", p)
	}
	var v verifyBody
	e.c.Get("/api/v1/records/"+first.Completion.ID+"/verify").Want(t, http.StatusOK).Decode(t, &v)
	if v.Valid || v.Status != "expired" {
		t.Fatalf("verify expired = %+v", v)
	}
	c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusCreated).Decode(t, &a)
	var second resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &second)
	if second.Completion == nil || second.Completion.ID == first.Completion.ID || *second.Completion.ExpiresAt != "2026-05-01T09:00:00Z" {
		t.Fatalf("second record = %+v", second.Completion)
	}
	p = progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
	if p.Status != "completed" || p.Completion.ID != second.Completion.ID {
		t.Fatalf("recertified = %+v", p)
	}
}

func TestPrerequisitesOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	publishCourse(t, e, "fair-ai-2", "Fair AI 2", "prerequisites: [fair-ai]")
	c, _ := e.as(identity.RoleLearner)

	res := c.Put("/api/v1/modules/fair-ai-2/lessons/intro/progress", map[string]any{"completed": true}).Want(t, http.StatusConflict).Map(t)
	if res["type"] != ProblemTypeBase+"prerequisites-missing" || fmt.Sprint(res["missing"]) != "[fair-ai]" {
		t.Fatalf("progress before the prerequisite = %v", res)
	}
	if typ := problemType(t, c.Post("/api/v1/modules/fair-ai-2/attempts", nil).Want(t, http.StatusConflict)); typ != "prerequisites-missing" {
		t.Fatalf("attempt before the prerequisite: %s", typ)
	}
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)
	c.Put("/api/v1/modules/fair-ai-2/lessons/intro/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
}

// A trainer publishes a new revision while a learner is part-way: the
// learner moves to it, keeps the lessons whose slug still exists, and the
// record names the new revision.
func TestRevisionSwitchOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	c, _ := e.as(identity.RoleLearner)
	for _, l := range []string{"intro", "practice"} {
		c.Put("/api/v1/modules/fair-ai/lessons/"+l+"/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
	}
	v2 := course("Fair AI, second edition")
	files := v2["files"].(map[string]string)
	delete(files, "lessons/02-practice.md")
	files["lessons/02-cases.md"] = "# Cases\n\nThree real cases.\n"
	trainer, _ := e.as(identity.RoleTrainer)
	trainer.Put("/api/v1/modules/fair-ai", v2).Want(t, http.StatusCreated)

	p := progressOf(t, c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
	if p.Revision != 2 || p.LessonsCompleted != 1 || p.LessonCount != 3 {
		t.Fatalf("after revision 2 = %+v", p)
	}
	for _, l := range []string{"cases", "wrap-up"} {
		c.Put("/api/v1/modules/fair-ai/lessons/"+l+"/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
	}
	c.Put("/api/v1/modules/fair-ai/lessons/practice/progress", map[string]any{"completed": true}).Want(t, http.StatusNotFound)
	a := openAttempt(t, c, "fair-ai")
	var res resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
	if a.Revision != 2 || res.Completion == nil || res.Completion.Revision != 2 || res.Completion.ModuleTitle != "Fair AI, second edition" {
		t.Fatalf("attempt %+v, record %+v", a, res.Completion)
	}
}

// Racing POST /attempts: one attempt drawn per round, and never more
// attempts than max_attempts.
func TestRacingAttemptsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "max_attempts: 2")).Want(t, http.StatusCreated)
		c, me := e.as(identity.RoleLearner)
		finishLessons(t, c, "fair-ai")
		for round := 0; round < 3; round++ {
			var (
				mu       sync.Mutex
				statuses = map[int]int{}
				bodies   []attemptBody
				wg       sync.WaitGroup
			)
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := c.Post("/api/v1/modules/fair-ai/attempts", nil)
					mu.Lock()
					defer mu.Unlock()
					statuses[res.Status]++
					if res.Status < 300 {
						var a attemptBody
						json.Unmarshal(res.Body, &a)
						bodies = append(bodies, a)
					}
				}()
			}
			wg.Wait()
			if round == 2 {
				if statuses[http.StatusConflict] != 8 {
					t.Fatalf("round 3: %v, want 8 × 409", statuses)
				}
				break
			}
			if statuses[http.StatusCreated] != 1 || statuses[http.StatusOK] != 7 {
				t.Fatalf("round %d: %v", round+1, statuses)
			}
			for _, b := range bodies[1:] {
				if b.ID != bodies[0].ID {
					t.Fatalf("round %d drew two attempts", round+1)
				}
			}
			c.Post("/api/v1/attempts/"+bodies[0].ID+"/submit", bodies[0].answersFor(false)).Want(t, http.StatusOK)
		}
		var n int64
		e.db.R.Table("attempts").Where("user_id = ?", me.ID).Count(&n)
		if n != 2 {
			t.Fatalf("%d attempts with max_attempts 2", n)
		}
	})
}

// Before submission nothing the service says (answers, problems, logs)
// tells which choice is right.
func TestNothingRevealsTheAnswerBeforeSubmission(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	c, _ := e.as(identity.RoleLearner)
	finishLessons(t, c, "fair-ai")
	var said []string
	var a attemptBody
	res := c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusCreated)
	res.Decode(t, &a)
	said = append(said, string(res.Body))
	said = append(said, string(c.Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusOK).Body))
	// Probing with the quiz's own choice ids (q1-c1 is right, q1-c2 wrong)
	// gets the same answer as any unknown id.
	var probes []string
	for _, id := range []string{"q1-c1", "q1-c2"} {
		p := c.Post("/api/v1/attempts/"+a.ID+"/submit", map[string]any{"answers": map[string]any{"q1": []string{id}}}).
			Want(t, http.StatusUnprocessableEntity).Map(t)
		probes = append(probes, strings.ReplaceAll(fmt.Sprint(p["detail"], p["errors"]), id, "ID"))
	}
	if probes[0] != probes[1] {
		t.Errorf("probing a right and a wrong content id answers differently: %q vs %q", probes[0], probes[1])
	}
	for _, body := range []any{
		map[string]any{"answers": map[string]any{"q1": []string{"zzzzzzzz"}}},
		map[string]any{"answers": map[string]any{"q9": []string{}}},
		map[string]any{"answers": map[string]any{"q1": []string{a.Questions[0].Choices[0].ID, a.Questions[0].Choices[1].ID}}},
		map[string]any{},
	} {
		said = append(said, string(c.Post("/api/v1/attempts/"+a.ID+"/submit", body).Want(t, http.StatusUnprocessableEntity).Body))
	}
	said = append(said, e.logs.String())
	for _, s := range said {
		low := strings.ToLower(s)
		for _, leak := range []string{"correct", "explanation", "q1-c", "q2-c", "q3-c", "audits find bias"} {
			if strings.Contains(low, leak) {
				t.Errorf("%q leaks before submission in: %s", leak, s)
			}
		}
	}
	// Choice ids carry no order either: they differ between attempts of
	// the same question and are not sorted by the trainer's order.
	for _, q := range a.Questions {
		for _, ch := range q.Choices {
			if len(ch.ID) != 8 {
				t.Errorf("choice id %q", ch.ID)
			}
		}
	}
}

// Picking two choices of a single-answer question was refused with "the
// answers name questions or choices this attempt did not show", which
// sends a frontend developer looking for a wrong id; the detail now says
// the answers do not fit and the errors say why.
func TestSubmitProblemDetailFitsEveryMistake(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	c, _ := e.as(identity.RoleLearner)
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	var single string
	var two []string
	for _, q := range a.Questions {
		if q.Kind == "single" && single == "" {
			single = q.ID
			two = []string{q.Choices[0].ID, q.Choices[1].ID}
		}
	}
	p := c.Post("/api/v1/attempts/"+a.ID+"/submit", map[string]any{"answers": map[string]any{single: two}}).
		Want(t, http.StatusUnprocessableEntity).Map(t)
	detail := fmt.Sprint(p["detail"])
	if strings.Contains(detail, "did not show") || !strings.Contains(detail, "do not fit") {
		t.Errorf("detail %q", detail)
	}
	if errs := fmt.Sprint(p["errors"]); !strings.Contains(errs, "answers."+single) || !strings.Contains(errs, "takes one choice") {
		t.Errorf("errors %s", errs)
	}
	// The attempt stays open: a fitting submission is graded.
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)
}
