package assignments

import (
	"time"

	"github.com/upskill/upskill/internal/learning"
)

// Statuses of one learner on one module: learning owns the Definitions.
const (
	NotStarted = learning.NotStarted
	InProgress = learning.InProgress
	Completed  = learning.Completed
	Expired    = learning.Expired
)

// Statuses lists every status in the order reports explain them.
var Statuses = []string{NotStarted, InProgress, Completed, Expired}

// Facts are the stored facts about one learner and one module that their
// status depends on. They are read by one SQL fragment (facts.go) for
// every route and report, and judged by Assess alone.
type Facts struct {
	// LessonsCompleted counts the lessons of the module the learner has
	// completed, of any revision.
	LessonsCompleted int
	// Attempts counts the quiz attempts the learner opened, in any cycle.
	Attempts int
	// Record is the newest record (by cycle) that is not revoked, or nil:
	// a revoked record no longer counts for anything.
	Record *RecordFacts
	// Assignment is nil when the module is not assigned to the learner.
	Assignment *AssignmentFacts
}

// RecordFacts are what status needs of a completion record.
type RecordFacts struct {
	IssuedAt  time.Time
	ExpiresAt *time.Time // nil: never expires
}

// AssignmentFacts are what status needs of an assignment.
type AssignmentFacts struct {
	DueAt     time.Time
	GraceDays int
}

// Standing is where a learner stands with a module at one moment.
type Standing struct {
	Status  string
	Started bool
	// DueAt is the effective due date: the assignment's, or, once the
	// record has expired, the expiry plus the grace period when that is
	// later. Nil when the module is not assigned.
	DueAt   *time.Time
	Overdue bool
}

// Assess applies the Definitions to f at now:
//
//   - started: at least one lesson completed or one attempt opened;
//   - completed: the newest unrevoked record has not reached expires_at;
//   - expired: the newest unrevoked record has reached expires_at (a new
//     record would be newer, so "no newer record exists" holds);
//   - overdue: assigned, the effective due date has passed, not completed.
//
// Recertification: when the record expires the assignment is due again on
// the expiry date plus the assignment's grace days, unless its own due
// date is later (HR re-assigned it with a new date after the expiry).
func Assess(f Facts, now time.Time) Standing {
	st := Standing{Started: f.LessonsCompleted > 0 || f.Attempts > 0}
	var expiresAt *time.Time
	if f.Record != nil {
		expiresAt = f.Record.ExpiresAt
	}
	st.Status = learning.ModuleStatus(st.Started, f.Record != nil, expiresAt, now)
	if f.Record != nil {
		// Anyone who earned a record started, whatever lessons or attempts
		// the stored rows still show.
		st.Started = true
	}
	if f.Assignment == nil {
		return st
	}
	due := f.Assignment.DueAt.UTC()
	if st.Status == Expired {
		again := f.Record.ExpiresAt.UTC().AddDate(0, 0, f.Assignment.GraceDays)
		if again.After(due) {
			due = again
		}
	}
	st.DueAt = &due
	st.Overdue = st.Status != Completed && now.After(due)
	return st
}
