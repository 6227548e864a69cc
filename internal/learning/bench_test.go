package learning_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/store/storetest"
)

// BenchmarkLessonProgress measures a progress write (enrol, lesson upsert,
// completion check, progress read-back) on SQLite, where every write queues
// on the one writer connection. Run with:
//
//	go test -run '^$' -bench . ./internal/learning/
func BenchmarkLessonProgress(b *testing.B) { benchmarkLessonProgress(b, 1) }

// BenchmarkLessonProgressConcurrent is the same with 32 writers per CPU, as
// the load test's 64 connections on two cores: the writes queue on the one
// writer connection and share commits (store's group commit).
func BenchmarkLessonProgressConcurrent(b *testing.B) { benchmarkLessonProgress(b, 32) }

func benchmarkLessonProgress(b *testing.B, parallelism int) {
	e := newEnv(b, storetest.SQLite(b))
	e.publish(spec{slug: "basics", lessons: []string{"one", "two", "three", "four", "five"}, quiz: threeQuestions})
	users := make([]string, 200)
	for i := range users {
		users[i] = e.user()
	}
	lessons := []string{"one", "two", "three", "four", "five"}
	ctx := context.Background()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			u := users[i%len(users)]
			if _, err := e.svc.RecordProgress(ctx, u, "basics", lessons[i%len(lessons)], learning.ProgressUpdate{Completed: true, SecondsSpent: 30}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkQuizAttemptConcurrent opens an attempt and submits it (failing,
// so attempts go on), 32 learners per CPU at once as in the load test's
// quiz scenario: the draw and the grading run outside the write
// transaction, which only stores the attempt or its result.
func BenchmarkQuizAttemptConcurrent(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b))
	e.publish(spec{slug: "quiz", lessons: []string{"one", "two"}, quiz: threeQuestions})
	var mu sync.Mutex
	users := make([]string, 64)
	for i := range users {
		users[i] = e.user()
		e.completeLessons(users[i], "quiz")
	}
	next := 0
	ctx := context.Background()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		u := users[next%len(users)]
		next++
		mu.Unlock()
		for pb.Next() {
			a, _, err := e.svc.StartAttempt(ctx, u, "quiz")
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, false)); err != nil && !isSubmitted(err) {
				b.Error(err)
				return
			}
		}
	})
}

// isSubmitted: two goroutines on one learner may submit the same open
// attempt; the second is told it was submitted.
func isSubmitted(err error) bool {
	var f *fault.Error
	return errors.As(err, &f) && f.Type == learning.TypeAttemptSubmitted
}
