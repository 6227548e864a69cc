package learning

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// enrollment says which revision of a module a learner is on.
type enrollment struct {
	UserID     string
	Module     string
	Revision   int
	EnrolledAt time.Time
	UpdatedAt  time.Time
}

func (enrollment) TableName() string { return "enrollments" }

// lessonProgress is one learner's time on, and completion of, one lesson.
type lessonProgress struct {
	UserID       string
	Module       string
	Lesson       string
	SecondsSpent int64
	CompletedAt  *time.Time
	UpdatedAt    time.Time
}

func (lessonProgress) TableName() string { return "lesson_progress" }

// attemptRow is one quiz attempt. Questions is exactly what was shown,
// with the per-attempt choice ids and their correctness: grading reads it
// and nothing else.
type attemptRow struct {
	ID          string
	UserID      string
	Module      string
	Revision    int
	Cycle       int
	Number      int
	Questions   []shownQuestion `gorm:"serializer:json"`
	PassMark    int
	Reveal      string
	Answers     map[string][]string `gorm:"serializer:json"`
	StartedAt   time.Time
	SubmittedAt *time.Time
	Score       *int
	Passed      *bool
}

func (attemptRow) TableName() string { return "attempts" }

// attemptSummaryColumns are what progress needs of an attempt: not the
// questions.
var attemptSummaryColumns = []string{"id", "module", "revision", "cycle", "number", "started_at", "submitted_at", "score", "passed"}

// state is everything one learner did with one module.
type state struct {
	enrolled *enrollment
	lessons  map[string]lessonProgress // by lesson slug, any revision
	attempts []attemptRow              // summaries, by cycle and number
	records  []Record                  // by cycle
}

// loadStates reads the state of userID for each module in one query per
// table. Modules the user never touched get an empty state.
func loadStates(ctx context.Context, db *gorm.DB, userID string, modules []string) (map[string]*state, error) {
	out := make(map[string]*state, len(modules))
	for _, m := range modules {
		out[m] = &state{lessons: map[string]lessonProgress{}}
	}
	if len(modules) == 0 {
		return out, nil
	}
	db = db.WithContext(ctx)
	var ens []enrollment
	if err := db.Where("user_id = ? AND module IN ?", userID, modules).Find(&ens).Error; err != nil {
		return nil, err
	}
	for i := range ens {
		out[ens[i].Module].enrolled = &ens[i]
	}
	var lps []lessonProgress
	if err := db.Where("user_id = ? AND module IN ?", userID, modules).Find(&lps).Error; err != nil {
		return nil, err
	}
	for _, lp := range lps {
		out[lp.Module].lessons[lp.Lesson] = lp
	}
	var ats []attemptRow
	if err := db.Select(attemptSummaryColumns).Where("user_id = ? AND module IN ?", userID, modules).
		Order("cycle, number").Find(&ats).Error; err != nil {
		return nil, err
	}
	for _, a := range ats {
		out[a.Module].attempts = append(out[a.Module].attempts, a)
	}
	var recs []Record
	if err := db.Where("user_id = ? AND module IN ?", userID, modules).Order("cycle").Find(&recs).Error; err != nil {
		return nil, err
	}
	for _, r := range recs {
		out[r.Module].records = append(out[r.Module].records, r)
	}
	return out, nil
}

func loadState(ctx context.Context, db *gorm.DB, userID, module string) (*state, error) {
	m, err := loadStates(ctx, db, userID, []string{module})
	if err != nil {
		return nil, err
	}
	return m[module], nil
}

// enrol makes sure userID is enrolled in module and on revision rev or a
// newer one, and takes the row's lock. Every write of a learner's progress
// on a module starts here, so on PostgreSQL those transactions queue on
// this row (ON CONFLICT DO UPDATE always locks it) and each sees what the
// previous one committed; two requests finishing the last two lessons at
// once therefore cannot both miss the completion. SQLite's single writer
// serialises them anyway.
func enrol(tx *gorm.DB, userID, module string, rev int, now time.Time) error {
	return tx.Exec(enrolSQL, userID, module, rev, now, now).Error
}

// enrolSQL is enrol's upsert, as plain SQL: it runs on every write of
// progress, so it skips GORM's reflection.
const enrolSQL = `INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (user_id, module) DO UPDATE SET
revision = CASE WHEN excluded.revision > enrollments.revision THEN excluded.revision ELSE enrollments.revision END,
updated_at = excluded.updated_at`
