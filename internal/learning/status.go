package learning

import "time"

// The Definitions (api/CONVENTIONS.md, README.md) live here and nowhere
// else: learning's ModuleProgress, the assignments' overdue flags and every
// report call these functions.

// RecordCurrent reports whether a record that is not revoked still
// counts at now: it does until its expires_at, exclusive (the
// credential's exp), and forever when it has none.
func RecordCurrent(expiresAt *time.Time, now time.Time) bool {
	return expiresAt == nil || now.Before(*expiresAt)
}

// ModuleStatus is where a learner stands with a module:
//
//   - completed: the newest record that is not revoked is still current;
//   - expired: that record has passed its expires_at (a newer record would
//     be the newest, so "no newer record exists" holds);
//   - in_progress: started — at least one lesson completed or one attempt
//     opened — and no record counts;
//   - not_started: otherwise.
//
// hasRecord says whether a record that is not revoked exists, and
// expiresAt is the newest one's expiry.
func ModuleStatus(started, hasRecord bool, expiresAt *time.Time, now time.Time) string {
	switch {
	case hasRecord && RecordCurrent(expiresAt, now):
		return Completed
	case hasRecord:
		return Expired
	case started:
		return InProgress
	default:
		return NotStarted
	}
}

// ProgressPercent is the completed lessons of the current revision plus
// the quiz as one more step when the module has one, over the number of
// steps, as a whole percent rounded down (so 100 means everything is done).
func ProgressPercent(lessonsDone, lessonCount int, hasQuiz, quizPassed bool) int {
	steps, done := lessonCount, min(lessonsDone, lessonCount)
	if hasQuiz {
		steps++
		if quizPassed {
			done++
		}
	}
	if steps == 0 {
		return 0
	}
	return done * 100 / steps
}
