package learning_test

import (
	"context"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func TestProgressWithoutQuizIssuesRecordOnLastLesson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "ai-basics", lessons: []string{"intro", "tools"}})
		u := e.user()

		p, err := e.svc.Progress(ctx, u, "ai-basics")
		if err != nil || p.Status != learning.NotStarted || p.Percent != 0 || p.LessonCount != 2 || p.Revision != 1 {
			t.Fatalf("before = %+v, %v", p, err)
		}
		// Time alone enrols but does not start.
		p, err = e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{SecondsSpent: 30})
		if err != nil || p.Status != learning.NotStarted {
			t.Fatalf("time only = %+v, %v", p, err)
		}
		e.clock.Advance(2 * time.Minute) // time counts only as it passes
		p, err = e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{Completed: true, SecondsSpent: 90})
		if err != nil || p.Status != learning.InProgress || p.LessonsCompleted != 1 || p.Percent != 50 || p.Completion != nil {
			t.Fatalf("one lesson = %+v, %v", p, err)
		}
		// Idempotent: done again, and false never undoes it.
		for _, done := range []bool{true, false} {
			p, err = e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{Completed: done})
			if err != nil || p.LessonsCompleted != 1 {
				t.Fatalf("again (%v) = %+v, %v", done, p, err)
			}
		}
		var secs int64
		db.R.Table("lesson_progress").Select("seconds_spent").Where("user_id = ? AND lesson = 'intro'", u).Scan(&secs)
		if secs != 120 {
			t.Fatalf("seconds_spent = %d, want 120", secs)
		}

		p, err = e.svc.RecordProgress(ctx, u, "ai-basics", "tools", learning.ProgressUpdate{Completed: true})
		if err != nil || p.Status != learning.Completed || p.Percent != 100 || p.Completion == nil {
			t.Fatalf("all lessons = %+v, %v", p, err)
		}
		r := p.Completion
		if r.Score != nil || r.Revision != 1 || r.HolderName == "" || r.ExpiresAt != nil || r.Status != learning.RecordValid {
			t.Fatalf("record = %+v", r)
		}
		c, err := records.VerifyAt(r.Credential, e.keys, issuer, e.clock.Now())
		if err != nil || c.ID != r.ID || c.Subject != u || c.Module != "ai-basics" || c.ExpiresAt != nil {
			t.Fatalf("credential = %+v, %v", c, err)
		}
		// Completing a lesson again issues nothing more.
		e.svc.RecordProgress(ctx, u, "ai-basics", "tools", learning.ProgressUpdate{Completed: true})
		if n := count(t, db, "records", "user_id = ?", u); n != 1 {
			t.Fatalf("%d records", n)
		}
		list, next, err := e.svc.Enrollments(ctx, u, page.Request{Limit: 10})
		if err != nil || len(list) != 1 || next != "" || list[0].Status != learning.Completed {
			t.Fatalf("enrollments = %+v %q %v", list, next, err)
		}
	})
}

// Reported time counts only as far as it is plausible: ten calls claiming
// a day each once turned a one-minute lesson into 240 hours. A lesson counts
// at most LessonTimeFactor times its estimated minutes, and one call no more
// than the wall time since the learner's previous call on that lesson.
func TestLearningTimeStaysPlausible(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "ai-basics", lessons: []string{"intro", "tools"}})
		u := e.user()
		secs := func(lesson string) int64 {
			t.Helper()
			var n int64
			db.R.Table("lesson_progress").Select("seconds_spent").Where("user_id = ? AND lesson = ?", u, lesson).Scan(&n)
			return n
		}
		limit := int64(learning.LessonTimeFactor * 60) // the test lessons are estimated at one minute
		for range 10 {
			if _, err := e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{Completed: true, SecondsSpent: learning.MaxSecondsPerCall}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Hour)
		}
		if got := secs("intro"); got != limit {
			t.Fatalf("ten days reported on a one-minute lesson count %d s, want %d", got, limit)
		}
		// A call counts no more than the time since the previous one.
		e.svc.RecordProgress(ctx, u, "ai-basics", "tools", learning.ProgressUpdate{SecondsSpent: 30})
		e.clock.Advance(20 * time.Second)
		e.svc.RecordProgress(ctx, u, "ai-basics", "tools", learning.ProgressUpdate{SecondsSpent: 90})
		e.svc.RecordProgress(ctx, u, "ai-basics", "tools", learning.ProgressUpdate{SecondsSpent: 90}) // no time passed
		if got := secs("tools"); got != 50 {
			t.Fatalf("30 s, then 90 s claimed 20 s later, then 90 s at once count %d s, want 50", got)
		}
	})
}

func TestProgressRefusesBadInput(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.publish(spec{slug: "ai-basics", lessons: []string{"intro"}})
	u := e.user()
	for _, secs := range []int{-1, learning.MaxSecondsPerCall + 1} {
		_, err := e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{SecondsSpent: secs})
		if !fault.Is(err, fault.Invalid) {
			t.Errorf("seconds %d: %v", secs, err)
		}
	}
	if _, err := e.svc.RecordProgress(ctx, u, "ai-basics", "intro", learning.ProgressUpdate{SecondsSpent: learning.MaxSecondsPerCall}); err != nil {
		t.Errorf("a full day: %v", err)
	}
	if _, err := e.svc.RecordProgress(ctx, u, "ai-basics", "nope", learning.ProgressUpdate{}); !fault.Is(err, fault.NotFound) {
		t.Errorf("unknown lesson: %v", err)
	}
	if _, err := e.svc.RecordProgress(ctx, u, "nope", "intro", learning.ProgressUpdate{}); !fault.Is(err, fault.NotFound) {
		t.Errorf("unknown module: %v", err)
	}
}

// A new revision moves a learner part-way through it: completion is kept
// for every lesson whose slug still exists, an attempt drawn from the old
// revision is graded against what it showed, and the record names the
// revision in force when it was earned.
func TestRevisionSwitchKeepsCompletedLessons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		old := spec{slug: "privacy", lessons: []string{"basics", "consent", "retention"}, quiz: threeQuestions}
		e.publish(old)
		u := e.user()
		e.completeLessons(u, "privacy")
		a, _, err := e.svc.StartAttempt(ctx, u, "privacy")
		if err != nil || a.Revision != 1 {
			t.Fatalf("attempt = %+v, %v", a, err)
		}

		// Revision 2 drops "consent", adds "profiling" and rewrites the quiz.
		rev := e.publish(spec{slug: "privacy", title: "Privacy, revised", lessons: []string{"basics", "profiling", "retention"},
			quiz: question("New", "Right n", "Wrong n")})
		p, err := e.svc.Progress(ctx, u, "privacy")
		if err != nil || rev != 2 || p.Revision != 2 || p.LessonsCompleted != 2 || p.LessonCount != 3 || p.Status != learning.InProgress {
			t.Fatalf("after revision 2 = %+v, %v", p, err)
		}
		// The open attempt is still the revision-1 one, and is graded as shown.
		again, created, err := e.svc.StartAttempt(ctx, u, "privacy")
		if err != nil || created || again.ID != a.ID || len(again.Questions) != 3 {
			t.Fatalf("open attempt = %+v %v %v", again, created, err)
		}
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if err != nil || res.Score != 100 || !res.Passed || res.Completion != nil {
			t.Fatalf("submit = %+v, %v", res, err)
		}
		// Passed, but "profiling" is new: no record until it is done.
		p, err = e.svc.RecordProgress(ctx, u, "privacy", "profiling", learning.ProgressUpdate{Completed: true})
		if err != nil || p.Status != learning.Completed || p.Completion == nil {
			t.Fatalf("after the new lesson = %+v, %v", p, err)
		}
		r := p.Completion
		if r.Revision != 2 || r.ModuleTitle != "Privacy, revised" || r.Score == nil || *r.Score != 100 {
			t.Fatalf("record = %+v", r)
		}
		var onRev int
		db.R.Table("enrollments").Select("revision").Where("user_id = ?", u).Scan(&onRev)
		if onRev != 2 {
			t.Fatalf("enrollment on revision %d", onRev)
		}
	})
}

func TestPrerequisitesBlockThenAllow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "basics", lessons: []string{"one"}, front: []string{"valid_for: 30d"}})
		e.publish(spec{slug: "advanced", lessons: []string{"two"}, quiz: threeQuestions, front: []string{"prerequisites: [basics]"}})
		u := e.user()

		_, err := e.svc.RecordProgress(ctx, u, "advanced", "two", learning.ProgressUpdate{Completed: true})
		wantProblem(t, err, fault.Conflict, learning.TypePrerequisitesMissing)
		if got := fault.As(err).Ext["missing"]; len(got.([]string)) != 1 || got.([]string)[0] != "basics" {
			t.Fatalf("missing = %v", got)
		}
		_, _, err = e.svc.StartAttempt(ctx, u, "advanced")
		wantProblem(t, err, fault.Conflict, learning.TypePrerequisitesMissing)
		if n := count(t, db, "enrollments", "user_id = ? AND module = 'advanced'", u); n != 0 {
			t.Fatal("a refused call enrolled the learner")
		}

		e.completeLessons(u, "basics")
		if _, err := e.svc.RecordProgress(ctx, u, "advanced", "two", learning.ProgressUpdate{Completed: true}); err != nil {
			t.Fatalf("after the prerequisite: %v", err)
		}
		// An expired prerequisite blocks again.
		e.clock.Advance(31 * 24 * time.Hour)
		_, _, err = e.svc.StartAttempt(ctx, u, "advanced")
		wantProblem(t, err, fault.Conflict, learning.TypePrerequisitesMissing)
	})
}

// Expiry with an injected clock: the module shows expired, may be taken
// again with a fresh attempt allowance, and passing issues a new record.
func TestExpiryAndRecertification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "ethics", lessons: []string{"one"}, quiz: threeQuestions,
			front: []string{"valid_for: 365d", "max_attempts: 2"}})
		u := e.user()
		e.completeLessons(u, "ethics")
		a, _, _ := e.svc.StartAttempt(ctx, u, "ethics")
		e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, false))
		a, _, _ = e.svc.StartAttempt(ctx, u, "ethics")
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if err != nil || res.Completion == nil {
			t.Fatalf("pass = %+v, %v", res, err)
		}
		first := res.Completion
		if want := first.IssuedAt.AddDate(0, 0, 365); first.ExpiresAt == nil || !first.ExpiresAt.Equal(want) {
			t.Fatalf("expires_at = %v, want %v", first.ExpiresAt, want)
		}
		c, _ := records.VerifyAt(first.Credential, e.keys, issuer, e.clock.Now())
		if c == nil || c.ExpiresAt == nil || !c.ExpiresAt.Equal(*first.ExpiresAt) {
			t.Fatalf("credential exp = %+v", c)
		}
		_, _, err = e.svc.StartAttempt(ctx, u, "ethics")
		wantProblem(t, err, fault.Conflict, learning.TypeAlreadyCompleted)
		p, _ := e.svc.Progress(ctx, u, "ethics")
		if p.AttemptsUsed != 2 || p.AttemptsLeft == nil || *p.AttemptsLeft != 0 || !p.QuizPassed || *p.BestScore != 100 {
			t.Fatalf("completed progress = %+v", p)
		}

		e.clock.Advance(366 * 24 * time.Hour)
		p, _ = e.svc.Progress(ctx, u, "ethics")
		if p.Status != learning.Expired || p.Completion == nil || p.Completion.Status != learning.RecordExpired ||
			p.AttemptsUsed != 0 || *p.AttemptsLeft != 2 || p.QuizPassed || p.BestScore != nil || p.Percent != 50 {
			t.Fatalf("expired progress = %+v", p)
		}
		v, err := e.svc.Verify(ctx, first.ID)
		if err != nil || v.Valid || v.Status != learning.RecordExpired {
			t.Fatalf("verify expired = %+v, %v", v, err)
		}
		a, created, err := e.svc.StartAttempt(ctx, u, "ethics")
		if err != nil || !created {
			t.Fatalf("retake = %v %v", created, err)
		}
		res, err = e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if err != nil || res.Completion == nil || res.Completion.ID == first.ID {
			t.Fatalf("recertify = %+v, %v", res, err)
		}
		p, _ = e.svc.Progress(ctx, u, "ethics")
		if p.Status != learning.Completed || p.Completion.ID != res.Completion.ID || p.AttemptsUsed != 1 {
			t.Fatalf("recertified progress = %+v", p)
		}
		recs, _, _ := e.svc.ListRecords(ctx, u, page.Request{Limit: 10})
		if len(recs) != 2 || recs[0].ID != res.Completion.ID || recs[1].Status != learning.RecordExpired {
			t.Fatalf("records = %+v", recs)
		}
	})
}
