package content

import "testing"

// TestShippedCurriculum keeps the modules in content/ publishable: curriculum
// writers run it to check their work.
func TestShippedCurriculum(t *testing.T) {
	mods, probs := LoadDir("../../content", Options{APIBase: "/api/v1"})
	for _, p := range probs {
		t.Errorf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	if len(mods) < 10 {
		t.Errorf("found %d modules in content/, want at least 10", len(mods))
	}
	seen := map[string]bool{}
	for _, m := range mods {
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
