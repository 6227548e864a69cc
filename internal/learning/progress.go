package learning

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// Module statuses, as the API and the reports name them.
const (
	NotStarted = "not_started" // nothing done yet
	InProgress = "in_progress" // started: a lesson completed or an attempt opened
	Completed  = "completed"   // holds a record that is neither revoked nor expired
	Expired    = "expired"     // the latest record (not revoked) has expired
)

// MaxSecondsPerCall bounds the seconds_spent one progress call may report:
// a day.
const MaxSecondsPerCall = 86400

// LessonTimeFactor bounds the time counted on one lesson: at most this many
// times the lesson's estimated reading time.
const LessonTimeFactor = 4

// SecondsSpent checks a reported seconds_spent, a JSON number: a whole
// number from 0 to MaxSecondsPerCall, or Invalid naming the field.
func SecondsSpent(v float64) (int, error) {
	if v != math.Trunc(v) || v < 0 || v > MaxSecondsPerCall {
		return 0, fault.InvalidFields(
			fmt.Sprintf("seconds_spent must be a whole number from 0 to %d", MaxSecondsPerCall),
			fault.FieldError{Field: "seconds_spent", Message: fmt.Sprintf("must be a whole number, 0–%d", MaxSecondsPerCall)})
	}
	return int(v), nil
}

// countedSeconds is how much of a reported seconds_spent counts towards
// the learner's time on a lesson, so that learning hours stay plausible
// whatever a client reports: never more than the wall time since the
// learner's previous progress call on the lesson, and never more, in total,
// than LessonTimeFactor times the lesson's estimated minutes. The total cap
// is applied again in the upsert, so concurrent calls cannot pass it.
func countedSeconds(reported int, capSeconds int64, prev *lessonProgress, now time.Time) int64 {
	n := min(int64(reported), capSeconds)
	if prev != nil {
		since := int64(now.Sub(prev.UpdatedAt) / time.Second)
		n = max(0, min(n, since, capSeconds-prev.SecondsSpent))
	}
	return n
}

// ModuleProgress is where a learner stands with a module, measured against
// its current revision. Quiz figures cover the current certification
// cycle: the one that earned the record when the module is completed, else
// the one in progress, so that after expiry or revocation the attempt
// limit starts afresh.
type ModuleProgress struct {
	Module           string
	Revision         int
	Status           string
	LessonsCompleted int
	LessonCount      int
	Percent          int // lessons plus the quiz as one step, rounded down
	QuizPassed       bool
	BestScore        *int // nil before any submitted attempt in the cycle
	AttemptsUsed     int
	AttemptsLeft     *int          // nil when unlimited or there is no quiz
	Completion       *Record       // the latest record that is not revoked, valid or expired
	Lessons          []LessonState // the current revision's lessons, in order
	Next             NextStep      // what the learner should do next
	// MissingPrerequisites are the prerequisite modules the learner holds
	// no valid record for; Locked is true while there are any and the
	// module is not completed (progress on it answers 409 until then).
	MissingPrerequisites []string
	Locked               bool
	DueAt                *time.Time // when the module is assigned to the learner
}

// LessonState is whether one lesson of the current revision is done.
type LessonState struct {
	Slug        string
	CompletedAt *time.Time // nil until completed
}

// What a learner does next in a module.
const (
	NextLesson = "lesson"
	NextQuiz   = "quiz"
	NextNone   = "none"
)

// NextStep is the first unfinished lesson, else the quiz while it can
// still be taken, else nothing (completed, or attempts used up).
type NextStep struct {
	Kind   string // NextLesson, NextQuiz or NextNone
	Lesson string // the lesson's slug when Kind is NextLesson
}

// ProgressUpdate is one report of a learner's reading of a lesson.
type ProgressUpdate struct {
	Completed    bool // true marks the lesson done; false never undoes that
	SecondsSpent int  // added to the time on the lesson; 0..MaxSecondsPerCall
}

// RecordProgress adds u to userID's progress on a lesson of the module
// slug, enrolling them (and moving them to the current revision) when
// needed. Marking a lesson done may complete the module and issue its
// record in the same transaction. Answers 409 prerequisites-missing until
// every prerequisite has a valid record.
//
// The learner's state is read on the reader pool, before the write
// transaction; the transaction on the single writer holds only the writes
// and the re-checks where a race matters: the lesson upsert is
// conditional on the row read (else it is done again from the row as it
// stands), and a lesson marked done re-counts, inside the transaction,
// whether the module is now complete. A call that changes nothing (the
// lesson is done, its time capped, the module completed) writes nothing.
func (s *Service) RecordProgress(ctx context.Context, userID, slug, lesson string, u ProgressUpdate) (ModuleProgress, error) {
	if _, err := SecondsSpent(float64(u.SecondsSpent)); err != nil {
		return ModuleProgress{}, err
	}
	m, rev, err := s.current(slug)
	if err != nil {
		return ModuleProgress{}, err
	}
	i := slices.IndexFunc(m.Lessons, func(l content.Lesson) bool { return l.Slug == lesson })
	if i < 0 {
		return ModuleProgress{}, fault.New(fault.NotFound, "module %q has no lesson %q", slug, lesson)
	}
	capSeconds := int64(max(1, m.Lessons[i].Minutes)) * 60 * LessonTimeFactor
	var (
		v         *view
		st, fresh *state
		issued    *Record
		now       time.Time
	)
	read := func() (bool, error) {
		now = s.clock()
		var err error
		if v, err = loadView(ctx, s.db.R, userID, m); err != nil {
			return false, err
		}
		if err := prerequisitesMissing(m, v.held(now)); err != nil {
			return false, err
		}
		st = v.st
		return !unchangedBy(st, lesson, u, rev, capSeconds, now), nil
	}
	write := func(tx *gorm.DB) error {
		issued, fresh = nil, nil
		if s.db.Dialect == store.Postgres || st.enrolled == nil || st.enrolled.Revision < rev {
			// On PostgreSQL, enrol also takes the row's lock (see enrol).
			if err := enrol(tx, userID, slug, rev, now); err != nil {
				return err
			}
		}
		lp := lessonProgress{UserID: userID, Module: slug, Lesson: lesson, UpdatedAt: now}
		var prev *lessonProgress
		if p, ok := st.lessons[lesson]; ok {
			prev = &p
		}
		moved, err := upsertLessonProgress(tx, lp, u, capSeconds, prev)
		if err != nil {
			return err
		}
		if moved {
			// Another request wrote the row since we read it: count from
			// the row as it stands.
			if err := addLessonProgress(tx, lp, u, capSeconds); err != nil {
				return err
			}
		}
		if !u.Completed || holdsValid(st, now) {
			return nil
		}
		done, err := looksComplete(ctx, tx, userID, m, len(st.records))
		if err != nil || !done {
			return err
		}
		if fresh, err = loadState(ctx, tx, userID, slug); err != nil {
			return err
		}
		issued, err = s.issueIfComplete(ctx, tx, fresh, userID, m, rev, now)
		return err
	}
	if err := s.readThenWrite(ctx, read, write); err != nil {
		return ModuleProgress{}, fault.Ensure(err, "could not record progress on %q", slug)
	}
	if fresh == nil {
		fresh = st
		if u.Completed {
			p := fresh.lessons[lesson]
			if p.CompletedAt == nil {
				p.CompletedAt = &now
			}
			fresh.lessons[lesson] = p
		}
	}
	// The prerequisites and the due date are as read: this write changes
	// neither.
	out := progressOf(m, rev, fresh, now)
	v.mark(&out, m, now)
	s.logIssued(ctx, issued)
	return out, nil
}

// readThenWrite runs read on the reader pool and then, when read says
// there is something to write, write in a write transaction; both again
// when the write lost a race on one of learning's unique constraints (the
// next read sees the winner's rows). write must have no effect outside
// the transaction.
func (s *Service) readThenWrite(ctx context.Context, read func() (bool, error), write func(tx *gorm.DB) error) error {
	var err error
	for range writeRetries {
		var needed bool
		if needed, err = read(); err != nil || !needed {
			return err
		}
		if err = s.db.Tx(ctx, write); err == nil || !store.IsUniqueViolation(err) {
			return err
		}
	}
	return &fault.Error{Code: fault.Conflict, Message: "too many simultaneous requests for this; try again", Err: err}
}

// unchangedBy says whether u would change nothing in st: the learner is
// on revision rev or newer, the lesson's time is at its cap, the lesson
// is done if u marks it done, and then the module is completed, so there
// is nothing to issue.
func unchangedBy(st *state, lesson string, u ProgressUpdate, rev int, capSeconds int64, now time.Time) bool {
	p, ok := st.lessons[lesson]
	if st.enrolled == nil || st.enrolled.Revision < rev || !ok || p.SecondsSpent < capSeconds {
		return false
	}
	return !u.Completed || p.CompletedAt != nil && holdsValid(st, now)
}

// holdsValid says whether the newest standing record in st is valid at now.
func holdsValid(st *state, now time.Time) bool {
	latest := st.latestStanding()
	return latest != nil && latest.statusAt(now) == RecordValid
}

// looksComplete counts, in tx, whether every lesson of m is done and, if
// m has a quiz, an attempt of cycle passed: when it says so,
// issueIfComplete decides on the state read again in tx.
func looksComplete(ctx context.Context, tx *gorm.DB, userID string, m *content.Module, cycle int) (bool, error) {
	args := make([]any, 0, 7+len(m.Lessons))
	args = append(args, userID, m.Slug)
	for _, l := range m.Lessons {
		args = append(args, l.Slug)
	}
	args = append(args, userID, m.Slug, cycle, true)
	var lessons, passes int
	if err := completeQueries.For(len(m.Lessons)).Row(ctx, tx, args...).Scan(&lessons, &passes); err != nil {
		return false, err
	}
	return lessons == len(m.Lessons) && (m.Quiz == nil || passes > 0), nil
}

// completeQueries is looksComplete's count by number of lessons.
var completeQueries = store.NewQueryFamily(func(lessons int) string {
	return `SELECT
		(SELECT COUNT(*) FROM lesson_progress WHERE user_id = ? AND module = ? AND completed_at IS NOT NULL AND lesson IN (` +
		store.Placeholders(lessons) + `)),
		(SELECT COUNT(*) FROM attempts WHERE user_id = ? AND module = ? AND cycle = ? AND passed = ?)`
})

// upsertLessonProgress adds u to the progress row lp names, counting the
// seconds from prev, the row as read before the transaction (nil: there
// was none). It reports moved, writing nothing, when the row is no longer
// as read, so the seconds must be counted again; a call that reports no
// seconds does not depend on the row and is never moved.
func upsertLessonProgress(tx *gorm.DB, lp lessonProgress, u ProgressUpdate, capSeconds int64, prev *lessonProgress) (bool, error) {
	now := lp.UpdatedAt
	var completedAt *time.Time
	if u.Completed {
		completedAt = &now
	}
	args := []any{lp.UserID, lp.Module, lp.Lesson, int64(0), completedAt, now}
	q := upsertLesson
	if u.SecondsSpent > 0 {
		args[3] = countedSeconds(u.SecondsSpent, capSeconds, prev, now)
		if prev == nil {
			q = insertLesson
		} else {
			q = upsertLessonIfUnchanged
		}
	}
	if q != insertLesson {
		args = append(args, capSeconds, capSeconds)
		if u.SecondsSpent > 0 {
			args = append(args, prev.UpdatedAt)
		}
	}
	n, err := q.Exec(tx.Statement.Context, tx, args...)
	if err != nil {
		return false, err
	}
	return u.SecondsSpent > 0 && n == 0, nil
}

const upsertLessonSQL = `INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, completed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, module, lesson) DO UPDATE SET
seconds_spent = CASE WHEN lesson_progress.seconds_spent + excluded.seconds_spent > ? THEN ? ELSE lesson_progress.seconds_spent + excluded.seconds_spent END,
completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at),
updated_at = excluded.updated_at`

var (
	insertLesson = store.NewQuery(`INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, completed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, module, lesson) DO NOTHING`)
	upsertLesson            = store.NewQuery(upsertLessonSQL)
	upsertLessonIfUnchanged = store.NewQuery(upsertLessonSQL + ` WHERE lesson_progress.updated_at = ?`)
)

// addLessonProgress adds u to the progress row lp names (user, module,
// lesson, updated_at), creating it if needed, reading the row in tx:
// seconds are counted as countedSeconds allows and capped at capSeconds,
// and a lesson once done stays done.
func addLessonProgress(tx *gorm.DB, lp lessonProgress, u ProgressUpdate, capSeconds int64) error {
	var prev *lessonProgress
	if u.SecondsSpent > 0 {
		var rows []lessonProgress
		if err := tx.Where("user_id = ? AND module = ? AND lesson = ?", lp.UserID, lp.Module, lp.Lesson).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			prev = &rows[0]
		}
	}
	_, err := upsertLessonProgress(tx, lp, ProgressUpdate{Completed: u.Completed}, capSeconds, nil)
	if err != nil || u.SecondsSpent == 0 {
		return err
	}
	// The seconds, counted from the row as it stands in tx.
	n := countedSeconds(u.SecondsSpent, capSeconds, prev, lp.UpdatedAt)
	return tx.Exec(`UPDATE lesson_progress SET seconds_spent = CASE WHEN seconds_spent + ? > ? THEN ? ELSE seconds_spent + ? END
		WHERE user_id = ? AND module = ? AND lesson = ?`, n, capSeconds, capSeconds, n, lp.UserID, lp.Module, lp.Lesson).Error
}

// Progress returns where userID stands with the module slug.
func (s *Service) Progress(ctx context.Context, userID, slug string) (ModuleProgress, error) {
	m, rev, err := s.current(slug)
	if err != nil {
		return ModuleProgress{}, err
	}
	v, err := loadView(ctx, s.db.R, userID, m)
	if err != nil {
		return ModuleProgress{}, fault.Wrap(err, "could not read progress on %q", slug)
	}
	now := s.clock()
	out := progressOf(m, rev, v.st, now)
	v.mark(&out, m, now)
	return out, nil
}

// Enrollments returns a page of userID's progress on every module they
// started or were assigned (the assignments table belongs to the
// assignments package; only its user and module columns are read here), by
// module slug.
func (s *Service) Enrollments(ctx context.Context, userID string, p page.Request) ([]ModuleProgress, string, error) {
	p = p.OrDefault()
	if p.Cursor != "" && !content.ValidSlug(p.Cursor) {
		return nil, "", page.ErrBadCursor
	}
	var slugs []string
	err := s.db.R.WithContext(ctx).Raw(`SELECT module FROM (
			SELECT module FROM enrollments WHERE user_id = ?
			UNION SELECT module FROM assignments WHERE user_id = ?
		) mine WHERE module > ? ORDER BY module LIMIT ?`, userID, userID, p.Cursor, p.Limit+1).Scan(&slugs).Error
	if err != nil {
		return nil, "", fault.Wrap(err, "could not read enrollments")
	}
	slugs, next := page.Trim(slugs, p.Limit, func(slug string) string { return slug })
	states, err := loadStates(ctx, s.db.R, userID, slugs)
	if err != nil {
		return nil, "", fault.Wrap(err, "could not read progress")
	}
	now := s.clock()
	out := make([]ModuleProgress, 0, len(slugs))
	var locks []lockOf
	for _, slug := range slugs {
		m, rev, err := s.current(slug)
		if fault.Is(err, fault.NotFound) {
			continue // no longer published: nothing to measure against
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, progressOf(m, rev, states[slug], now))
		locks = append(locks, lockOf{m: m})
	}
	for i := range out {
		locks[i].p = &out[i]
	}
	if err := s.markLocked(ctx, s.db.R, userID, now, locks...); err != nil {
		return nil, "", fault.Wrap(err, "could not read prerequisites")
	}
	return out, next, nil
}

// progressOf measures st against revision rev of m at now.
func progressOf(m *content.Module, rev int, st *state, now time.Time) ModuleProgress {
	p := ModuleProgress{Module: m.Slug, Revision: rev, LessonCount: len(m.Lessons),
		Lessons: make([]LessonState, len(m.Lessons))}
	for i, l := range m.Lessons {
		p.Lessons[i].Slug = l.Slug
		if lp, ok := st.lessons[l.Slug]; ok && lp.CompletedAt != nil {
			p.LessonsCompleted++
			p.Lessons[i].CompletedAt = lp.CompletedAt
		}
	}
	cycle := len(st.records)
	latest := st.latestStanding()
	var expiresAt *time.Time
	if latest != nil {
		expiresAt = latest.ExpiresAt
	}
	p.Status = ModuleStatus(st.started(), latest != nil, expiresAt, now)
	if p.Status == Completed {
		cycle = latest.Cycle
	}
	if latest != nil {
		r := *latest
		r.Status = r.statusAt(now)
		p.Completion = &r
	}
	c := st.attempts[cycle]
	p.AttemptsUsed, p.BestScore, p.QuizPassed = c.count, c.best, c.passed
	if m.Quiz != nil && m.MaxAttempts > 0 {
		left := max(m.MaxAttempts-p.AttemptsUsed, 0)
		p.AttemptsLeft = &left
	}
	p.Percent = ProgressPercent(p.LessonsCompleted, len(m.Lessons), m.Quiz != nil, p.QuizPassed)
	p.Next = nextStep(p, m.Quiz != nil)
	return p
}

func nextStep(p ModuleProgress, hasQuiz bool) NextStep {
	if p.Status == Completed {
		return NextStep{Kind: NextNone}
	}
	for _, l := range p.Lessons {
		if l.CompletedAt == nil {
			return NextStep{Kind: NextLesson, Lesson: l.Slug}
		}
	}
	if hasQuiz && !p.QuizPassed && (p.AttemptsLeft == nil || *p.AttemptsLeft > 0) {
		return NextStep{Kind: NextQuiz}
	}
	return NextStep{Kind: NextNone}
}

// started: at least one lesson completed (of any revision) or one attempt
// opened.
func (st *state) started() bool {
	if st.attempted {
		return true
	}
	for _, c := range st.attempts {
		if c.count > 0 {
			return true
		}
	}
	for _, lp := range st.lessons {
		if lp.CompletedAt != nil {
			return true
		}
	}
	return false
}

// latestStanding is the newest record that is not revoked: a revoked
// record no longer counts, for status or anything else.
func (st *state) latestStanding() *Record {
	for i := len(st.records) - 1; i >= 0; i-- {
		if st.records[i].RevokedAt == nil {
			return &st.records[i]
		}
	}
	return nil
}

// lessonsRemaining lists the lessons of m not yet completed, in order.
func (st *state) lessonsRemaining(m *content.Module) []string {
	var out []string
	for _, l := range m.Lessons {
		if lp, ok := st.lessons[l.Slug]; !ok || lp.CompletedAt == nil {
			out = append(out, l.Slug)
		}
	}
	return out
}

// checkPrerequisites answers 409 prerequisites-missing, naming each
// prerequisite of m for which userID holds no valid record.
func (s *Service) checkPrerequisites(ctx context.Context, tx *gorm.DB, userID string, m *content.Module, now time.Time) error {
	if len(m.Prerequisites) == 0 {
		return nil
	}
	held, err := heldRecords(ctx, tx, userID, m.Prerequisites, now)
	if err != nil {
		return err
	}
	return prerequisitesMissing(m, held)
}

// prerequisitesMissing answers 409 prerequisites-missing, naming each
// prerequisite of m not in held, or nil when none is missing.
func prerequisitesMissing(m *content.Module, held map[string]bool) error {
	missing := missingOf(m, held)
	if len(missing) == 0 {
		return nil
	}
	return &fault.Error{Code: fault.Conflict, Type: TypePrerequisitesMissing,
		Message: fmt.Sprintf("module %q needs a valid record for %s first", m.Slug, strings.Join(missing, ", ")),
		Ext:     map[string]any{"missing": missing}}
}
