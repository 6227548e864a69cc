package readiness

import (
	"fmt"
	"testing"
	"time"
)

func TestSuppress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cells []Cell
		want  string // the keys suppressed
	}{
		{"all large enough", []Cell{{"a", 5, 5, false}, {"b", 9, 6, false}}, ""},
		{"one small: the next smallest goes too", []Cell{{"a", 3, 9, false}, {"b", 7, 6, false}, {"c", 6, 20, false}, {"d", 10, 10, false}}, "a b"},
		{"ties on size go by key", []Cell{{"z", 5, 5, false}, {"small", 4, 5, false}, {"y", 5, 8, false}}, "small y"},
		{"two small hiding five or more: no more", []Cell{{"a", 3, 9, false}, {"b", 4, 7, false}, {"c", 9, 9, false}}, "a b"},
		{"two small hiding fewer than five in a phase", []Cell{{"a", 0, 12, false}, {"b", 3, 3, false}, {"c", 10, 10, false}, {"d", 6, 6, false}}, "a b d"},
		{"nobody answered: nothing to hide", []Cell{{"empty", 0, 0, false}, {"a", 5, 5, false}, {"b", 8, 8, false}}, ""},
		{"only one group: suppressed with the total", []Cell{{"a", 2, 2, false}}, "a"},
		{"one small beside an empty one", []Cell{{"empty", 0, 0, false}, {"a", 1, 1, false}, {"b", 30, 30, false}}, "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Suppress(tc.cells)
			got := ""
			for _, c := range tc.cells {
				if c.Suppressed {
					if got != "" {
						got += " "
					}
					got += c.Key
				}
			}
			if got != tc.want {
				t.Errorf("suppressed %q, want %q", got, tc.want)
			}
		})
	}
}

// Whatever the group sizes, while the total is shown no phase's suppressed
// groups together hold 1-4 people, and never is exactly one group
// suppressed.
func TestSuppressNeverLeavesASmallRemainder(t *testing.T) {
	sizes := []int{0, 1, 2, 4, 5, 6, 9}
	n := 0
	for _, a := range sizes {
		for _, b := range sizes {
			for _, c := range sizes {
				for _, d := range sizes {
					cells := []Cell{{"a", a, b, false}, {"b", c, d, false}, {"c", b, a, false}, {"d", 7, c, false}}
					Suppress(cells)
					n++
					hb, ha, k, tb, ta := 0, 0, 0, 0, 0
					for _, x := range cells {
						tb, ta = tb+x.Before, ta+x.After
						if x.Suppressed {
							hb, ha, k = hb+x.Before, ha+x.After, k+1
						}
						if !x.Suppressed && (x.Before > 0 || x.After > 0) && (x.Before < MinRespondents || x.After < MinRespondents) {
							t.Fatalf("%v: a small group shown", cells)
						}
					}
					if tb < MinRespondents || ta < MinRespondents {
						continue // the total is suppressed too: nothing to subtract from
					}
					if (hb > 0 && hb < MinRespondents) || (ha > 0 && ha < MinRespondents) {
						t.Fatalf("%v: the suppressed groups hold %d/%d people", cells, hb, ha)
					}
					if k == 1 {
						t.Fatalf("%v: exactly one group suppressed", cells)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

func TestWeekStart(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-02T09:00:00Z": "2026-03-02", // a Monday
		"2026-03-08T23:59:59Z": "2026-03-02", // Sunday
		"2026-03-09T00:00:00Z": "2026-03-09",
		"2026-01-01T12:00:00Z": "2025-12-29",
	} {
		tm, _ := time.Parse(time.RFC3339, in)
		if got := WeekStart(tm).Format(time.DateOnly); got != want {
			t.Errorf("WeekStart(%s) = %s, want %s", in, got, want)
		}
	}
	if _, err := timeOf("2026-03-02 09:00:00+00:00"); err != nil {
		t.Error(err)
	}
	if _, err := timeOf(42); err == nil {
		t.Error(fmt.Sprint("no error for a number"))
	}
}
