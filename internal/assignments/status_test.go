package assignments

import (
	"testing"
	"time"
)

func TestAssess(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	ptr := func(t time.Time) *time.Time { return &t }
	due := func(t time.Time, grace int) *AssignmentFacts { return &AssignmentFacts{DueAt: t, GraceDays: grace} }
	cases := []struct {
		name    string
		f       Facts
		status  string
		started bool
		due     *time.Time
		overdue bool
	}{
		{"nothing, unassigned", Facts{}, NotStarted, false, nil, false},
		{"nothing, due later", Facts{Assignment: due(future, 0)}, NotStarted, false, &future, false},
		{"nothing, due passed", Facts{Assignment: due(past, 0)}, NotStarted, false, &past, true},
		{"due this very instant is not yet overdue", Facts{Assignment: due(now, 0)}, NotStarted, false, &now, false},
		{"a lesson done", Facts{LessonsCompleted: 1, Assignment: due(past, 0)}, InProgress, true, &past, true},
		{"an attempt opened", Facts{Attempts: 1}, InProgress, true, nil, false},
		{"valid record, due passed", Facts{LessonsCompleted: 3, Record: &RecordFacts{IssuedAt: past}, Assignment: due(past, 0)},
			Completed, true, &past, false},
		{"record valid until later", Facts{Record: &RecordFacts{IssuedAt: past, ExpiresAt: &future}}, Completed, true, nil, false},
		{"record expires this instant", Facts{Record: &RecordFacts{IssuedAt: past, ExpiresAt: &now}}, Expired, true, nil, false},
		// Recertification: due again on the expiry date…
		{"expired, due again at expiry", Facts{Record: &RecordFacts{IssuedAt: past, ExpiresAt: &past}, Assignment: due(past.AddDate(-1, 0, 0), 0)},
			Expired, true, &past, true},
		// …plus the grace period…
		{"expired, within grace", Facts{Record: &RecordFacts{IssuedAt: past, ExpiresAt: &past}, Assignment: due(past.AddDate(-1, 0, 0), 14)},
			Expired, true, ptr(past.AddDate(0, 0, 14)), false},
		// …unless HR has since set a later due date.
		{"expired, reassigned later", Facts{Record: &RecordFacts{IssuedAt: past, ExpiresAt: &past}, Assignment: due(future, 0)},
			Expired, true, &future, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Assess(tc.f, now)
			if got.Status != tc.status || got.Started != tc.started || got.Overdue != tc.overdue ||
				(got.DueAt == nil) != (tc.due == nil) || (got.DueAt != nil && !got.DueAt.Equal(*tc.due)) {
				t.Errorf("Assess = %+v (due %v), want %s started=%v due=%v overdue=%v", got, got.DueAt, tc.status, tc.started, tc.due, tc.overdue)
			}
		})
	}
}
