package content

import "testing"

func TestQuizAsked(t *testing.T) {
	pool := make([]Question, 5)
	for _, tc := range []struct {
		draw, want int
	}{{0, 5}, {3, 3}, {5, 5}} {
		if got := (&Quiz{Draw: tc.draw, Questions: pool}).Asked(); got != tc.want {
			t.Errorf("Draw %d of 5: Asked() = %d, want %d", tc.draw, got, tc.want)
		}
	}
}
