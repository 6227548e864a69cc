// Package readiness owns the readiness pulses (short surveys asked before
// and after training), the readiness report HR reads per department, and
// the adoption report leadership reads per department and week.
//
// A person's answers are returned to nobody but that person: every other
// answer leaves this package as a mean over at least MinRespondents
// people, with complementary suppression (see suppress) so that no group
// below that size can be worked out by subtraction.
package readiness

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Phases of a pulse.
const (
	Before = "before"
	After  = "after"
)

// MinRespondents is the smallest group whose figures are shown.
const MinRespondents = 5

// TypeAlreadyAnswered is the problem type of a second answer to a phase;
// TypeNotAsked that of an answer to a phase not (yet) asked.
const (
	TypeAlreadyAnswered = "pulse-already-answered"
	TypeNotAsked        = "pulse-not-asked"
)

// Service is the readiness domain. Its methods are safe for concurrent use.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the readiness service over db; now nil means time.Now.
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// answerRow is one stored answer: one statement of one phase of one pulse.
type answerRow struct {
	UserID     string
	Pulse      string
	Phase      string
	Item       string
	Value      int
	Revision   int
	AnsweredAt time.Time
}

func (answerRow) TableName() string { return "pulse_answers" }

// Waiting is a pulse phase the caller is asked to answer.
type Waiting struct {
	Slug  string
	Title string
	Phase string
	Scale []string
	Items []Item
}

// Item is one statement of a pulse.
type Item struct {
	ID   string
	Text string
}

// where a person stands with the modules and paths a pulse is for.
type standing struct{ started, completed bool }

// standingOf: started when they are enrolled in a module the pulse is for
// (or in one of a path's modules); completed when they hold an unrevoked
// record of one (a path record keeps its path's slug in records.module).
func standingOf(ctx context.Context, db *gorm.DB, userID string, targets []string, paths []catalog.PublishedPath) (standing, error) {
	mods := slices.Clone(targets)
	for _, p := range paths {
		if slices.Contains(targets, p.Slug) {
			mods = append(mods, p.Modules...)
		}
	}
	var st standing
	var n int64
	if err := db.WithContext(ctx).Table("enrollments").Where("user_id = ? AND module IN ?", userID, mods).Count(&n).Error; err != nil {
		return st, err
	}
	st.started = n > 0
	if err := db.WithContext(ctx).Table("records").Where("user_id = ? AND module IN ? AND revoked_at IS NULL", userID, targets).Count(&n).Error; err != nil {
		return st, err
	}
	st.completed = n > 0
	st.started = st.started || st.completed
	return st, nil
}

// answered returns the phases of pulse userID has answered.
func answered(ctx context.Context, db *gorm.DB, userID, pulse string) (map[string]bool, error) {
	var phases []string
	if err := db.WithContext(ctx).Model(&answerRow{}).Distinct("phase").
		Where("user_id = ? AND pulse = ?", userID, pulse).Pluck("phase", &phases).Error; err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range phases {
		out[p] = true
	}
	return out, nil
}

// phaseDue is the phase of a pulse waiting for someone: before once they
// started (and completed none of its modules or paths yet), after once
// they completed one; each phase is answered once. "" when none.
func phaseDue(st standing, done map[string]bool) string {
	switch {
	case st.completed && !done[After]:
		return After
	case st.started && !st.completed && !done[Before] && !done[After]:
		return Before
	}
	return ""
}

// Waiting returns the pulse phases waiting for userID, by pulse slug.
func (s *Service) Waiting(ctx context.Context, userID string) ([]Waiting, error) {
	db := s.db.R
	pulses, err := catalog.Pulses(ctx, db)
	if err != nil {
		return nil, err
	}
	paths, err := catalog.Paths(ctx, db)
	if err != nil {
		return nil, err
	}
	out := []Waiting{}
	for _, pl := range pulses {
		st, err := standingOf(ctx, db, userID, pl.For, paths)
		if err != nil {
			return nil, fault.Wrap(err, "could not read your pulses")
		}
		done, err := answered(ctx, db, userID, pl.Slug)
		if err != nil {
			return nil, fault.Wrap(err, "could not read your pulses")
		}
		if phase := phaseDue(st, done); phase != "" {
			out = append(out, Waiting{Slug: pl.Slug, Title: pl.Title, Phase: phase, Scale: pl.Scale, Items: itemsOf(pl)})
		}
	}
	return out, nil
}

func itemsOf(pl catalog.PublishedPulse) []Item {
	out := make([]Item, len(pl.Statements))
	for i, st := range pl.Statements {
		out[i] = Item{ID: st.ID, Text: st.Text}
	}
	return out
}

// Respond stores userID's answers to one phase of the pulse slug: a value
// 1-5 for every statement of its current revision. 409 when the phase was
// answered already or is not asked of them (yet).
func (s *Service) Respond(ctx context.Context, userID, slug, phase string, answers map[string]int) error {
	if phase != Before && phase != After {
		return fault.InvalidFields("phase must be before or after", fault.FieldError{Field: "phase", Message: "one of before, after"})
	}
	pulses, err := catalog.Pulses(ctx, s.db.R)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(pulses, func(p catalog.PublishedPulse) bool { return p.Slug == slug })
	if i < 0 {
		return fault.New(fault.NotFound, "no pulse %q", slug)
	}
	pl := pulses[i]
	var bad []fault.FieldError
	for _, st := range pl.Statements {
		v, ok := answers[st.ID]
		switch {
		case !ok:
			bad = append(bad, fault.FieldError{Field: "answers." + st.ID, Message: "required: a whole number from 1 to 5"})
		case v < 1 || v > 5:
			bad = append(bad, fault.FieldError{Field: "answers." + st.ID, Message: "must be a whole number from 1 to 5"})
		}
	}
	ids := make([]string, 0, len(answers))
	for id := range answers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !slices.ContainsFunc(pl.Statements, func(st content.Statement) bool { return st.ID == id }) {
			bad = append(bad, fault.FieldError{Field: "answers", Message: fmt.Sprintf("%q is no statement of this pulse", limit(id))})
		}
	}
	if len(bad) > 0 {
		return fault.InvalidFields(fmt.Sprintf("the answers to %q are incomplete or wrong", slug), bad...)
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		paths, err := catalog.Paths(ctx, tx)
		if err != nil {
			return err
		}
		st, err := standingOf(ctx, tx, userID, pl.For, paths)
		if err != nil {
			return err
		}
		done, err := answered(ctx, tx, userID, slug)
		if err != nil {
			return err
		}
		if done[phase] {
			return fault.Typed(fault.Conflict, TypeAlreadyAnswered, "you already answered the %s phase of %q", phase, slug)
		}
		if phaseDue(st, done) != phase {
			return fault.Typed(fault.Conflict, TypeNotAsked, "the %s phase of %q is not asked of you now", phase, slug)
		}
		now := s.clock()
		rows := make([]answerRow, 0, len(pl.Statements))
		for _, it := range pl.Statements {
			rows = append(rows, answerRow{UserID: userID, Pulse: slug, Phase: phase, Item: it.ID,
				Value: answers[it.ID], Revision: pl.Revision, AnsweredAt: now})
		}
		return tx.WithContext(ctx).Create(&rows).Error
	})
	if store.IsUniqueViolation(err) {
		return fault.Typed(fault.Conflict, TypeAlreadyAnswered, "you already answered the %s phase of %q", phase, slug)
	}
	return fault.Ensure(err, "could not store your answers")
}

func limit(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
