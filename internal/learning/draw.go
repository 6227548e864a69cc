package learning

import (
	"crypto/rand"
	"encoding/base32"
	"io"
	"math/big"
	"slices"

	"github.com/upskill/upskill/internal/content"
)

// choiceIDEncoding spells per-attempt choice ids: lowercase, no padding.
var choiceIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// draw picks the questions of a new attempt from s.random (crypto/rand
// unless a test injects another source): draw questions from the pool,
// question and choice order shuffled when the quiz says so, and a fresh
// random id for every choice, so neither an id nor a position tells which
// choice is correct.
func (s *Service) draw(q *content.Quiz) ([]shownQuestion, error) {
	pick := make([]int, len(q.Questions))
	for i := range pick {
		pick[i] = i
	}
	n := min(q.Asked(), len(pick))
	if q.Shuffle || n < len(pick) {
		if err := s.shuffle(pick); err != nil {
			return nil, err
		}
		pick = pick[:n]
		if !q.Shuffle {
			slices.Sort(pick) // a drawn subset, asked in the trainer's order
		}
	}
	taken := map[string]bool{}
	out := make([]shownQuestion, 0, n)
	for _, qi := range pick {
		src := q.Questions[qi]
		order := make([]int, len(src.Choices))
		for i := range order {
			order[i] = i
		}
		if q.Shuffle {
			if err := s.shuffle(order); err != nil {
				return nil, err
			}
		}
		sq := shownQuestion{ID: src.ID, Kind: src.Kind, PromptHTML: src.PromptHTML, ExplanationHTML: src.ExplanationHTML,
			Choices: make([]shownChoice, 0, len(order))}
		for _, ci := range order {
			c := src.Choices[ci]
			id, err := s.choiceID(taken)
			if err != nil {
				return nil, err
			}
			sq.Choices = append(sq.Choices, shownChoice{ID: id, Source: c.ID, TextHTML: c.TextHTML, Correct: c.Correct})
		}
		out = append(out, sq)
	}
	return out, nil
}

// shuffle is Fisher-Yates with uniform draws from s.random.
func (s *Service) shuffle(xs []int) error {
	for i := len(xs) - 1; i > 0; i-- {
		j, err := rand.Int(s.random, big.NewInt(int64(i+1)))
		if err != nil {
			return err
		}
		xs[i], xs[j.Int64()] = xs[j.Int64()], xs[i]
	}
	return nil
}

// choiceID returns a random 8-character id not in taken, and takes it.
func (s *Service) choiceID(taken map[string]bool) (string, error) {
	for {
		b := make([]byte, 5)
		if _, err := io.ReadFull(s.random, b); err != nil {
			return "", err
		}
		id := choiceIDEncoding.EncodeToString(b)
		if !taken[id] {
			taken[id] = true
			return id, nil
		}
	}
}

// attemptsIn counts the attempts opened in a certification cycle.
func attemptsIn(st *state, cycle int) int { return st.attempts[cycle].count }
