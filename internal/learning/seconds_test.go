package learning_test

import (
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
)

func TestSecondsSpent(t *testing.T) {
	for _, v := range []float64{0, 1, learning.MaxSecondsPerCall} {
		if n, err := learning.SecondsSpent(v); err != nil || n != int(v) {
			t.Errorf("SecondsSpent(%v) = %d, %v; want %d, nil", v, n, err, int(v))
		}
	}
	for _, v := range []float64{-1, 1.5, learning.MaxSecondsPerCall + 1} {
		_, err := learning.SecondsSpent(v)
		fe := fault.As(err)
		if !fault.Is(err, fault.Invalid) || fe == nil || len(fe.Fields) != 1 || fe.Fields[0].Field != "seconds_spent" {
			t.Errorf("SecondsSpent(%v) = %v; want Invalid naming seconds_spent", v, err)
		}
	}
}
