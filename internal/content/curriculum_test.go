package content

import "testing"

// TestShippedCurriculum keeps the modules in content/ publishable and
// lint-clean under --strict: curriculum writers run it to check their work.
func TestShippedCurriculum(t *testing.T) {
	mods, probs := LoadDir("../../content", Options{APIBase: "/api/v1"})
	for _, p := range probs {
		t.Errorf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	if len(mods) < 14 {
		t.Errorf("found %d modules in content/, want at least 14", len(mods))
	}
	seen := map[string]bool{}
	for _, m := range mods {
		for _, w := range m.Warnings {
			t.Errorf("warning (content lint --strict fails on it): %s:%d: %s", w.File, w.Line, w.Message)
		}
		for _, tp := range m.Topics {
			seen[tp] = true
		}
	}
	for _, tp := range Topics {
		if !seen[tp] {
			t.Errorf("no module covers topic %q", tp)
		}
	}
}

// TestShippedQuizzesResistGuessing holds every shipped quiz to the rules
// the curriculum review set: a pool of at least 1.5 × the questions drawn,
// and the right answer of a single-answer question strictly the longest in
// at most a third of them, so picking the longest option cannot pass.
func TestShippedQuizzesResistGuessing(t *testing.T) {
	mods, _ := LoadDir("../../content", Options{APIBase: "/api/v1"})
	for _, m := range mods {
		q := m.Quiz
		if q == nil {
			t.Errorf("%s: no quiz", m.Slug)
			continue
		}
		draw := q.Draw
		if draw == 0 {
			draw = len(q.Questions)
		}
		if 2*len(q.Questions) < 3*draw {
			t.Errorf("%s: a pool of %d for %d drawn; want at least 1.5 ×", m.Slug, len(q.Questions), draw)
		}
		single, longest := 0, 0
		for _, qu := range q.Questions {
			if qu.Kind != "single" {
				continue
			}
			single++
			if correctIsLongest(qu) {
				longest++
			}
		}
		if 3*longest > single {
			t.Errorf("%s: the right answer is the longest option in %d of %d single-answer questions; want at most a third",
				m.Slug, longest, single)
		}
	}
}
