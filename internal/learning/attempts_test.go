package learning_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func TestAttemptConflictsAndGrading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "bias", lessons: []string{"one", "two"}, quiz: threeQuestions,
			front: []string{"max_attempts: 2", "pass_mark: 60"}})
		e.publish(spec{slug: "no-quiz", lessons: []string{"one"}})
		u, other := e.user(), e.user()

		_, _, err := e.svc.StartAttempt(ctx, u, "bias")
		wantProblem(t, err, fault.Conflict, learning.TypeLessonsUnfinished)
		_, _, err = e.svc.StartAttempt(ctx, u, "no-quiz")
		wantProblem(t, err, fault.Conflict, learning.TypeNoQuiz)
		e.completeLessons(u, "bias")

		a, created, err := e.svc.StartAttempt(ctx, u, "bias")
		if err != nil || !created || len(a.Questions) != 3 || a.Revision != 1 {
			t.Fatalf("attempt = %+v %v %v", a, created, err)
		}
		again, created, err := e.svc.StartAttempt(ctx, u, "bias")
		if err != nil || created || again.ID != a.ID || !slices.EqualFunc(again.Questions, a.Questions, sameQuestion) {
			t.Fatalf("open attempt not returned as it was: %+v %v", again, err)
		}
		if _, err := e.svc.SubmitAttempt(ctx, other, a.ID, answers(a, true)); !fault.Is(err, fault.NotFound) {
			t.Fatalf("someone else's attempt: %v", err)
		}
		if _, err := e.svc.SubmitAttempt(ctx, u, "nope", map[string][]string{}); !fault.Is(err, fault.NotFound) {
			t.Fatalf("unknown attempt: %v", err)
		}

		// Two of three right (one multiple-answer question half right).
		ans := answers(a, true)
		for _, q := range a.Questions {
			if q.ID == "q3" {
				ans["q3"] = ans["q3"][:1]
			}
		}
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, ans)
		if err != nil || res.Score != 66 || !res.Passed || res.PassMark != 60 || res.Completion == nil {
			t.Fatalf("submit = %+v, %v", res, err)
		}
		if len(res.Results) != 3 {
			t.Fatalf("results = %+v", res.Results)
		}
		for _, r := range res.Results {
			if r.Correct != (r.QuestionID != "q3") || !strings.Contains(r.ExplanationHTML, "Because") {
				t.Errorf("result %+v", r)
			}
		}
		_, err = e.svc.SubmitAttempt(ctx, u, a.ID, ans)
		wantProblem(t, err, fault.Conflict, learning.TypeAttemptSubmitted)
		if n := count(t, db, "records", "user_id = ?", u); n != 1 {
			t.Fatalf("%d records", n)
		}
	})
}

func TestAttemptsUsedUp(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: threeQuestions, front: []string{"max_attempts: 2"}})
	u := e.user()
	e.completeLessons(u, "bias")
	for i := 0; i < 2; i++ {
		a, _, err := e.svc.StartAttempt(ctx, u, "bias")
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, map[string][]string{})
		if err != nil || res.Score != 0 || res.Passed || res.Completion != nil {
			t.Fatalf("empty answers = %+v, %v", res, err)
		}
	}
	_, _, err := e.svc.StartAttempt(ctx, u, "bias")
	wantProblem(t, err, fault.Conflict, learning.TypeAttemptsExhausted)
	p, _ := e.svc.Progress(ctx, u, "bias")
	if p.AttemptsUsed != 2 || *p.AttemptsLeft != 0 || p.BestScore == nil || *p.BestScore != 0 || p.Percent != 50 {
		t.Fatalf("progress = %+v", p)
	}
}

func TestSubmitRefusesWhatTheAttemptDidNotShow(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: threeQuestions})
	u := e.user()
	e.completeLessons(u, "bias")
	a, _, _ := e.svc.StartAttempt(ctx, u, "bias")
	q1 := a.Questions[slices.IndexFunc(a.Questions, func(q learning.AttemptQuestion) bool { return q.ID == "q1" })]
	q3 := a.Questions[slices.IndexFunc(a.Questions, func(q learning.AttemptQuestion) bool { return q.ID == "q3" })]
	cases := map[string]map[string][]string{
		"unknown question":         {"q9": {q1.Choices[0].ID}},
		"choice of another":        {"q1": {q3.Choices[0].ID}},
		"content choice id":        {"q1": {"q1-c1"}},
		"same choice twice":        {"q3": {q3.Choices[0].ID, q3.Choices[0].ID}},
		"two choices on a single":  {"q1": {q1.Choices[0].ID, q1.Choices[1].ID}},
		"unknown choice id":        {"q1": {"zzzzzzzz"}},
		"good and bad in one body": {"q1": {q1.Choices[0].ID}, "q2": {"x"}},
	}
	for name, ans := range cases {
		_, err := e.svc.SubmitAttempt(ctx, u, a.ID, ans)
		f := fault.As(err)
		if f.Code != fault.Invalid || len(f.Fields) == 0 {
			t.Errorf("%s: %v", name, err)
		}
		// The refusal must not hint at the answer key.
		if strings.Contains(strings.ToLower(f.Message+mustJSON(f.Fields)), "correct") {
			t.Errorf("%s: message mentions correctness: %s %v", name, f.Message, f.Fields)
		}
	}
	if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, nil); !fault.Is(err, fault.Invalid) {
		t.Errorf("no answers: %v", err)
	}
	// Refusals leave the attempt open.
	if _, created, _ := e.svc.StartAttempt(ctx, u, "bias"); created {
		t.Fatal("a refused submission closed the attempt")
	}
}

func TestRevealNever(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: "---\nreveal: never\n---\n\n" + threeQuestions})
	u := e.user()
	e.completeLessons(u, "bias")
	a, _, _ := e.svc.StartAttempt(ctx, u, "bias")
	res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
	if err != nil || res.Score != 100 || res.Results == nil || len(res.Results) != 0 {
		t.Fatalf("reveal never = %+v, %v", res, err)
	}
}

// Draws: the quiz's draw, shuffled when shuffle is on, from the injected
// random source; choice ids are random per attempt, so neither an id nor a
// position says which choice is right.
func TestDrawAndShuffle(t *testing.T) {
	pool := question("P1", "Right a", "Wrong b", "Wrong c", "Wrong d") + question("P2", "Wrong a", "Right b", "Wrong c") +
		question("P3", "Right a", "Wrong b") + question("P4", "Wrong a", "Right b") + question("P5", "Right a", "Wrong b")
	newService := func(t *testing.T, quizFront string) (*env, string) {
		e := newEnv(t, storetest.SQLite(t))
		e.svc = learning.New(e.db, learning.Options{Catalog: e.cat, Signer: &records.Signer{Keys: e.keys, Issuer: issuer},
			Now: e.clock.Now, Random: rand.NewChaCha8([32]byte{7})})
		e.publish(spec{slug: "pool", lessons: []string{"one"}, quiz: quizFront + pool})
		return e, e.user()
	}
	take := func(e *env, u string) learning.Attempt {
		t.Helper()
		ctx := context.Background()
		a, _, err := e.svc.StartAttempt(ctx, u, "pool")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, map[string][]string{}); err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("shuffled draw", func(t *testing.T) {
		e, u := newService(t, "---\ndraw: 3\n---\n\n")
		e.completeLessons(u, "pool")
		rightAt, orders, ids := map[int]bool{}, map[string]bool{}, map[string]bool{}
		for i := 0; i < 40; i++ {
			a := take(e, u)
			if len(a.Questions) != 3 {
				t.Fatalf("drew %d questions", len(a.Questions))
			}
			var order []string
			for _, q := range a.Questions {
				order = append(order, q.ID)
				if q.ID == "q1" {
					rightAt[slices.IndexFunc(q.Choices, func(c learning.AttemptChoice) bool { return strings.HasPrefix(c.TextHTML, "Right") })] = true
				}
				for _, c := range q.Choices {
					if len(c.ID) != 8 || strings.Contains(c.ID, "q") && strings.Contains(c.ID, "-c") || ids[c.ID] {
						t.Fatalf("choice id %q is not a fresh random id", c.ID)
					}
					ids[c.ID] = true
				}
			}
			orders[strings.Join(order, ",")] = true
		}
		if len(rightAt) < 3 || len(orders) < 10 {
			t.Fatalf("not shuffled: right choice of q1 at %v, %d question orders", rightAt, len(orders))
		}
	})
	t.Run("unshuffled draw keeps the trainer's order", func(t *testing.T) {
		e, u := newService(t, "---\nshuffle: false\ndraw: 2\n---\n\n")
		e.completeLessons(u, "pool")
		subsets := map[string]bool{}
		for i := 0; i < 20; i++ {
			a := take(e, u)
			ids := []string{a.Questions[0].ID, a.Questions[1].ID}
			if !slices.IsSorted(ids) || !strings.HasPrefix(a.Questions[0].Choices[0].TextHTML, choiceText(a.Questions[0].ID)) {
				t.Fatalf("order changed: %+v", a.Questions)
			}
			subsets[strings.Join(ids, ",")] = true
		}
		if len(subsets) < 3 {
			t.Fatalf("draw is not random: %v", subsets)
		}
	})
}

// choiceText is the first choice's text of each pool question, as written.
func choiceText(qid string) string {
	return map[string]string{"q1": "Right a", "q2": "Wrong a", "q3": "Right a", "q4": "Wrong a", "q5": "Right a"}[qid]
}

func sameQuestion(a, b learning.AttemptQuestion) bool {
	return a.ID == b.ID && slices.Equal(a.Choices, b.Choices)
}

func mustJSON(v any) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	return b.String()
}
