package learning

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Attempt is a quiz attempt as its learner sees it. Nothing in it tells
// which choice is correct: choice ids are drawn at random per attempt.
type Attempt struct {
	ID        string
	Module    string
	Revision  int
	Questions []AttemptQuestion
	StartedAt time.Time
}

// AttemptQuestion is one question shown in an attempt.
type AttemptQuestion struct {
	ID         string // the question's id in the quiz ("q3")
	Kind       string // single|multiple
	PromptHTML string
	Choices    []AttemptChoice
}

// AttemptChoice is one choice shown in an attempt.
type AttemptChoice struct {
	ID       string // random, unique within the attempt
	TextHTML string
}

// shownQuestion is what an attempt showed, as stored: with the answer key.
type shownQuestion struct {
	ID              string        `json:"id"`
	Kind            string        `json:"kind"`
	PromptHTML      string        `json:"prompt_html"`
	Choices         []shownChoice `json:"choices"`
	ExplanationHTML string        `json:"explanation_html"`
}

type shownChoice struct {
	ID       string `json:"id"`     // per attempt
	Source   string `json:"source"` // the choice's id in the quiz ("q3-c2")
	TextHTML string `json:"text_html"`
	Correct  bool   `json:"correct"`
}

func (a *attemptRow) view() Attempt {
	out := Attempt{ID: a.ID, Module: a.Module, Revision: a.Revision, StartedAt: a.StartedAt,
		Questions: make([]AttemptQuestion, 0, len(a.Questions))}
	for _, q := range a.Questions {
		v := AttemptQuestion{ID: q.ID, Kind: q.Kind, PromptHTML: q.PromptHTML, Choices: make([]AttemptChoice, 0, len(q.Choices))}
		for _, c := range q.Choices {
			v.Choices = append(v.Choices, AttemptChoice{ID: c.ID, TextHTML: c.TextHTML})
		}
		out.Questions = append(out.Questions, v)
	}
	return out
}

// StartAttempt opens a quiz attempt for userID on the module slug, drawing
// its questions, and returns it with created true. A learner's attempt
// still open is returned again (created false) rather than a second one
// drawn. Conflicts, each with its own problem type: no quiz,
// prerequisites missing, already completed (and not expired), lessons
// unfinished, attempts used up.
func (s *Service) StartAttempt(ctx context.Context, userID, slug string) (Attempt, bool, error) {
	m, rev, err := s.current(slug)
	if err != nil {
		return Attempt{}, false, err
	}
	if m.Quiz == nil {
		return Attempt{}, false, fault.Typed(fault.Conflict, TypeNoQuiz, "module %q has no quiz", slug)
	}
	var (
		out     Attempt
		created bool
		st      *state
		now     time.Time
		row     *attemptRow // the attempt to insert
	)
	read := func() (bool, error) {
		now, row = s.clock(), nil
		var err error
		if st, err = loadCounts(ctx, s.db.R, userID, slug); err != nil {
			return false, err
		}
		enrolled := st.enrolled != nil && st.enrolled.Revision >= rev
		if st.open != "" {
			var open attemptRow
			if err := s.db.R.WithContext(ctx).Where("id = ?", st.open).Take(&open).Error; err != nil {
				return false, err
			}
			out, created = open.view(), false
			return !enrolled, nil // the write only enrols
		}
		if err := s.checkPrerequisites(ctx, s.db.R, userID, m, now); err != nil {
			return false, err
		}
		if err := mayStart(m, st, now); err != nil {
			return false, err
		}
		cycle := len(st.records)
		qs, err := s.draw(m.Quiz)
		if err != nil {
			return false, err
		}
		row = &attemptRow{ID: uuid.NewString(), UserID: userID, Module: slug, Revision: rev, Cycle: cycle,
			Number: attemptsIn(st, cycle) + 1, Questions: qs, PassMark: m.PassMark, Reveal: m.Quiz.Reveal, StartedAt: now}
		out, created = row.view(), true
		return true, nil
	}
	write := func(tx *gorm.DB) error {
		if row == nil || s.db.Dialect == store.Postgres || st.enrolled == nil || st.enrolled.Revision < rev {
			if err := enrol(tx, userID, slug, rev, now); err != nil {
				return err
			}
		}
		if row == nil {
			return nil
		}
		// (user, module, cycle, number) and the one-open-attempt index are
		// unique: a racing request that drew too fails here and, read
		// again, finds this attempt open.
		return insertAttempt(ctx, tx, row)
	}
	if err := s.readThenWrite(ctx, read, write); err != nil {
		return Attempt{}, false, fault.Ensure(err, "could not start an attempt on %q", slug)
	}
	return out, created, nil
}

// insertAttempt stores a new attempt, as plain SQL.
func insertAttempt(ctx context.Context, tx *gorm.DB, a *attemptRow) error {
	qs, err := json.Marshal(a.Questions)
	if err != nil {
		return err
	}
	return tx.WithContext(ctx).Exec(`INSERT INTO attempts (id, user_id, module, revision, cycle, number, questions, pass_mark, reveal, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.UserID, a.Module, a.Revision, a.Cycle, a.Number, string(qs),
		a.PassMark, a.Reveal, a.StartedAt).Error
}

// mayStart says why a new attempt may not be opened, if it may not.
func mayStart(m *content.Module, st *state, now time.Time) error {
	if latest := st.latestStanding(); latest != nil && latest.statusAt(now) == RecordValid {
		msg := fmt.Sprintf("module %q is already completed", m.Slug)
		if latest.ExpiresAt != nil {
			msg += "; it can be taken again after " + latest.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return fault.Typed(fault.Conflict, TypeAlreadyCompleted, "%s", msg)
	}
	if left := st.lessonsRemaining(m); len(left) > 0 {
		return &fault.Error{Code: fault.Conflict, Type: TypeLessonsUnfinished,
			Message: fmt.Sprintf("finish every lesson of %q before the quiz: %d left", m.Slug, len(left)),
			Ext:     map[string]any{"lessons_remaining": left}}
	}
	if m.MaxAttempts > 0 {
		if attemptsIn(st, len(st.records)) >= m.MaxAttempts {
			return fault.Typed(fault.Conflict, TypeAttemptsExhausted,
				"all %d attempts at the quiz of %q are used", m.MaxAttempts, m.Slug)
		}
	}
	return nil
}

// Result is a graded attempt.
type Result struct {
	ID       string
	Score    int // whole percent of questions right, rounded down
	Passed   bool
	PassMark int
	// Results are per question in the order shown; empty when the quiz
	// reveals nothing.
	Results    []QuestionResult
	Completion *Record // the record this submission issued, if any
}

// QuestionResult says whether one question was answered right.
type QuestionResult struct {
	QuestionID      string
	Correct         bool
	ExplanationHTML string
}

// SubmitAttempt grades userID's attempt against exactly what it showed.
// answers maps question ids to the choice ids picked; a question left out
// is wrong. Answers naming anything the attempt did not show are refused
// (Invalid). A submitted attempt answers 409 attempt-submitted; another
// user's attempt is NotFound. Passing may complete the module and issue
// its record in the same transaction.
func (s *Service) SubmitAttempt(ctx context.Context, userID, id string, answers map[string][]string) (Result, error) {
	if answers == nil {
		return Result{}, fault.InvalidFields("answers is required: an object of question id to chosen choice ids",
			fault.FieldError{Field: "answers", Message: "required"})
	}
	// The attempt is read and graded on the reader pool; the transaction
	// only stores the result (unless another request submitted it first)
	// and, on a pass, issues the record.
	a, err := loadOwnAttempt(ctx, s.db.R, userID, id)
	if err != nil {
		return Result{}, fault.Ensure(err, "could not submit attempt %q", id)
	}
	m, rev, err := s.current(a.Module)
	if err != nil {
		return Result{}, err
	}
	if a.SubmittedAt != nil {
		return Result{}, fault.Typed(fault.Conflict, TypeAttemptSubmitted, "attempt %q was already submitted", id)
	}
	g, err := grade(&a, answers)
	if err != nil {
		return Result{}, err
	}
	now := s.clock()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		g.Completion = nil
		// Opening the attempt enrolled the learner on its revision; enrol
		// again when there is a newer one, and always on PostgreSQL, where
		// it takes the row's lock first, as every write of the learner's
		// progress on the module does (see enrol): in any other order two
		// requests could deadlock.
		if s.db.Dialect == store.Postgres || a.Revision < rev {
			if err := enrol(tx, userID, a.Module, rev, now); err != nil {
				return err
			}
		}
		if err := markSubmitted(ctx, tx, id, g, answers, now); err != nil {
			return err
		}
		if err := s.Events.Emit(tx, events.Event{Type: events.AttemptSubmitted, UserID: userID, At: now,
			Data: map[string]any{"attempt_id": id, "user_id": userID, "module": a.Module, "module_title": m.Title,
				"revision": rev, "cycle": a.Cycle, "score": g.Score, "passed": g.Passed,
				"started_at": a.StartedAt.UTC(), "submitted_at": now.UTC()}}); err != nil {
			return err
		}
		if !g.Passed {
			return nil
		}
		st, err := loadState(ctx, tx, userID, a.Module)
		if err != nil {
			return err
		}
		g.Completion, err = s.issueIfComplete(ctx, tx, st, userID, m, rev, now)
		return err
	})
	if err != nil {
		return Result{}, fault.Ensure(err, "could not submit attempt %q", id)
	}
	s.logIssued(ctx, g.Completion)
	return g, nil
}

// loadOwnAttempt reads attempt id of userID; another user's attempt is
// NotFound like a missing one.
func loadOwnAttempt(ctx context.Context, tx *gorm.DB, userID, id string) (attemptRow, error) {
	var a attemptRow
	err := gorm.ErrRecordNotFound
	if knownID(id) {
		err = tx.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	}
	if store.IsNotFound(err) || (err == nil && a.UserID != userID) {
		return attemptRow{}, fault.New(fault.NotFound, "no attempt %q", id)
	}
	return a, err
}

// markSubmitted stores the graded answers on attempt id unless another
// request submitted it between our read and this write (409).
func markSubmitted(ctx context.Context, tx *gorm.DB, id string, g Result, answers map[string][]string, now time.Time) error {
	stored, _ := json.Marshal(answers) // a map of string slices always marshals
	res := tx.WithContext(ctx).Exec(`UPDATE attempts SET submitted_at = ?, score = ?, passed = ?, answers = ? WHERE id = ? AND submitted_at IS NULL`,
		now, g.Score, g.Passed, string(stored), id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fault.Typed(fault.Conflict, TypeAttemptSubmitted, "attempt %q was already submitted", id)
	}
	return nil
}

// grade checks answers against the attempt's questions and scores them.
// Error messages name the question and the offending id only: they must
// not hint at which choice is right.
func grade(a *attemptRow, answers map[string][]string) (Result, error) {
	byID := make(map[string]*shownQuestion, len(a.Questions))
	for i := range a.Questions {
		byID[a.Questions[i].ID] = &a.Questions[i]
	}
	qids := make([]string, 0, len(answers))
	for qid := range answers {
		qids = append(qids, qid)
	}
	sort.Strings(qids)
	var bad []fault.FieldError
	for _, qid := range qids {
		field := "answers." + qid
		q, ok := byID[qid]
		if !ok {
			bad = append(bad, fault.FieldError{Field: field, Message: "not a question of this attempt"})
			continue
		}
		picked := answers[qid]
		if q.Kind == "single" && len(picked) > 1 {
			bad = append(bad, fault.FieldError{Field: field, Message: "this question takes one choice"})
		}
		seen := map[string]bool{}
		for _, c := range picked {
			switch {
			case !slices.ContainsFunc(q.Choices, func(sc shownChoice) bool { return sc.ID == c }):
				bad = append(bad, fault.FieldError{Field: field, Message: fmt.Sprintf("%q is not a choice of this question", c)})
			case seen[c]:
				bad = append(bad, fault.FieldError{Field: field, Message: fmt.Sprintf("%q is picked twice", c)})
			}
			seen[c] = true
		}
	}
	if len(bad) > 0 {
		return Result{}, fault.InvalidFields("some answers do not fit this attempt's questions; errors says which and why", bad...)
	}
	r := Result{ID: a.ID, PassMark: a.PassMark, Results: []QuestionResult{}}
	right := 0
	for _, q := range a.Questions {
		ok := exactlyCorrect(q, answers[q.ID])
		if ok {
			right++
		}
		if a.Reveal != "never" {
			r.Results = append(r.Results, QuestionResult{QuestionID: q.ID, Correct: ok, ExplanationHTML: q.ExplanationHTML})
		}
	}
	if len(a.Questions) > 0 {
		r.Score = right * 100 / len(a.Questions)
	}
	r.Passed = r.Score >= a.PassMark
	return r, nil
}

// exactlyCorrect: a question is right only when the picked set is exactly
// its correct set (picks are already known to be distinct choices of q).
func exactlyCorrect(q shownQuestion, picked []string) bool {
	want := 0
	for _, c := range q.Choices {
		if c.Correct {
			want++
		}
	}
	if len(picked) != want {
		return false
	}
	for _, id := range picked {
		for _, c := range q.Choices {
			if c.ID == id && !c.Correct {
				return false
			}
		}
	}
	return true
}
