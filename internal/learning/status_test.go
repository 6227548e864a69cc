package learning

import (
	"testing"
	"time"
)

func TestProgressPercent(t *testing.T) {
	cases := []struct {
		done, lessons int
		quiz, passed  bool
		want          int
	}{
		{0, 3, true, false, 0},
		{1, 3, true, false, 25},
		{3, 3, true, false, 75},
		{3, 3, true, true, 100},
		{2, 3, false, false, 66}, // rounded down: 100 only when all is done
		{3, 3, false, false, 100},
		{5, 3, false, false, 100}, // more than the revision has cannot pass 100
		{0, 0, false, false, 0},
	}
	for _, tc := range cases {
		if got := ProgressPercent(tc.done, tc.lessons, tc.quiz, tc.passed); got != tc.want {
			t.Errorf("ProgressPercent(%d, %d, %v, %v) = %d, want %d", tc.done, tc.lessons, tc.quiz, tc.passed, got, tc.want)
		}
	}
}

func TestModuleStatus(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Second)
	cases := []struct {
		name            string
		started, hasRec bool
		expires         *time.Time
		want            string
	}{
		{"nothing", false, false, nil, NotStarted},
		{"started", true, false, nil, InProgress},
		{"record forever", false, true, nil, Completed},
		{"record current", true, true, &future, Completed},
		{"record expires now", true, true, &now, Expired},
		{"record expired", true, true, &past, Expired},
	}
	for _, tc := range cases {
		if got := ModuleStatus(tc.started, tc.hasRec, tc.expires, now); got != tc.want {
			t.Errorf("%s: ModuleStatus = %s, want %s", tc.name, got, tc.want)
		}
	}
}
