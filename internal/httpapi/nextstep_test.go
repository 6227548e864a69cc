package httpapi

import (
	"net/http"
	"testing"
)

type stepsBody struct {
	Lessons []struct {
		Slug        string  `json:"slug"`
		Completed   bool    `json:"completed"`
		CompletedAt *string `json:"completed_at"`
	} `json:"lessons"`
	Next struct {
		Kind   string  `json:"kind"`
		Lesson *string `json:"lesson"`
	} `json:"next"`
}

// ModuleProgress lists the lessons with ticks and says what comes next:
// the first unfinished lesson, then the quiz, then nothing once completed
// or when the attempts are used up.
func TestProgressLessonsAndNextStep(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fairness", "Fairness", "max_attempts: 1")
	c, _ := e.as()
	steps := func() stepsBody {
		var s stepsBody
		c.Get("/api/v1/modules/fairness/progress").Want(t, http.StatusOK).Decode(t, &s)
		return s
	}
	s := steps()
	if len(s.Lessons) != 3 || s.Lessons[0].Slug != "intro" || s.Lessons[2].Slug != "wrap-up" || s.Lessons[0].Completed {
		t.Fatalf("lessons = %+v", s.Lessons)
	}
	if s.Next.Kind != "lesson" || s.Next.Lesson == nil || *s.Next.Lesson != "intro" {
		t.Errorf("next before starting = %+v", s.Next)
	}
	c.Put("/api/v1/modules/fairness/lessons/practice/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
	s = steps()
	if !s.Lessons[1].Completed || s.Lessons[1].CompletedAt == nil || s.Lessons[0].Completed {
		t.Errorf("lessons after one = %+v", s.Lessons)
	}
	if s.Next.Kind != "lesson" || *s.Next.Lesson != "intro" {
		t.Errorf("next after the second lesson = %+v, want the first unfinished", s.Next)
	}
	finishLessons(t, c, "fairness")
	if s = steps(); s.Next.Kind != "quiz" || s.Next.Lesson != nil {
		t.Errorf("next after the lessons = %+v, want the quiz", s.Next)
	}
	a := openAttempt(t, c, "fairness")
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK)
	if s = steps(); s.Next.Kind != "none" {
		t.Errorf("next with no attempt left = %+v, want none", s.Next)
	}

	// Another learner passes: nothing left to do.
	d, _ := e.as()
	finishLessons(t, d, "fairness")
	b := openAttempt(t, d, "fairness")
	d.Post("/api/v1/attempts/"+b.ID+"/submit", b.answersFor(true)).Want(t, http.StatusOK)
	var done stepsBody
	d.Get("/api/v1/modules/fairness/progress").Want(t, http.StatusOK).Decode(t, &done)
	if done.Next.Kind != "none" {
		t.Errorf("next when completed = %+v", done.Next)
	}
}

// A module whose prerequisites the learner has not completed is locked and
// names them, in its progress and in the enrollments list; passing the
// prerequisite opens it.
func TestProgressShowsLockedModules(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	publishCourse(t, e, "fair-ai-2", "Fair AI 2", "prerequisites: [fair-ai]")
	c, u := e.as()
	type lockBody struct {
		Module  string   `json:"module"`
		Locked  bool     `json:"locked"`
		Missing []string `json:"missing_prerequisites"`
	}
	var p lockBody
	c.Get("/api/v1/modules/fair-ai-2/progress").Want(t, http.StatusOK).Decode(t, &p)
	if !p.Locked || len(p.Missing) != 1 || p.Missing[0] != "fair-ai" {
		t.Fatalf("before the prerequisite: %+v", p)
	}
	c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK).Decode(t, &p)
	if p.Locked || p.Missing == nil || len(p.Missing) != 0 {
		t.Fatalf("a module without prerequisites: %+v", p)
	}

	admin, _ := e.as("admin")
	admin.Post("/api/v1/assignments", map[string]any{"module": "fair-ai-2", "user_ids": []string{u.ID}, "due_at": "2026-04-01T00:00:00Z"}).Want(t, http.StatusCreated)
	var list struct{ Items []lockBody }
	c.Get("/api/v1/me/enrollments").Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || !list.Items[0].Locked || list.Items[0].Missing[0] != "fair-ai" {
		t.Fatalf("enrollments = %+v", list.Items)
	}
	var due struct {
		DueAt *string `json:"due_at"`
	}
	c.Get("/api/v1/modules/fair-ai-2/progress").Want(t, http.StatusOK).Decode(t, &due)
	if due.DueAt == nil || *due.DueAt != "2026-04-01T00:00:00Z" {
		t.Errorf("due_at of an assigned module = %v", due.DueAt)
	}
	c.Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK).Decode(t, &due)
	if due.DueAt != nil {
		t.Errorf("due_at of a module not assigned = %v", *due.DueAt)
	}

	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)
	c.Get("/api/v1/modules/fair-ai-2/progress").Want(t, http.StatusOK).Decode(t, &p)
	if p.Locked || len(p.Missing) != 0 {
		t.Fatalf("after the prerequisite: %+v", p)
	}
}
