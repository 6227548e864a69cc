package learning

import (
	"fmt"
	"testing"
)

// BenchmarkGrade grades a submitted ten-question attempt (answers checked
// against the attempt's own choices, then scored).
func BenchmarkGrade(b *testing.B) {
	a := &attemptRow{ID: "a1", PassMark: 80, Reveal: "after_submit"}
	answers := map[string][]string{}
	for q := range 10 {
		sq := shownQuestion{ID: fmt.Sprintf("q%d", q), Kind: "single", ExplanationHTML: "<p>Because.</p>"}
		for c := range 4 {
			sq.Choices = append(sq.Choices, shownChoice{ID: fmt.Sprintf("c%d-%d", q, c), Correct: c == 1})
		}
		a.Questions = append(a.Questions, sq)
		answers[sq.ID] = []string{fmt.Sprintf("c%d-%d", q, q%4)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := grade(a, answers); err != nil {
			b.Fatal(err)
		}
	}
}
