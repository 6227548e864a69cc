package content

import (
	"strings"
	"testing"
)

// moduleFile builds module.md with the given front matter lines between
// the fences: line 1 is "---", lines[0] is line 2, and so on.
func moduleFile(lines ...string) string {
	return "---\n" + strings.Join(lines, "\n") + "\n---\n\nAn overview that links to [the first lesson](lessons/01-why-ai.md).\n"
}

// baseKeys are the required keys, on lines 2-4 of module.md.
var baseKeys = []string{
	"title: Working with AI",
	"summary: How teams get value from AI tools.",
	"topics: [benefits, skills]",
}

const goodQuiz = `## Which is a benefit of AI drafting tools?

- [ ] Slower drafts
- [x] Faster first drafts

> A tool gives you a first draft to edit.
`

// sample is a small valid module; tests change one thing in it.
func sample() map[string]string {
	return map[string]string{
		"module.md":            moduleFile(baseKeys...),
		"lessons/01-why-ai.md": "# Why AI\n\nAI tools save time. Next: [the risks](02-risks.md).\n",
		"lessons/02-risks.md":  "# Risks\n\n![A chart](../assets/chart.png)\n",
		"assets/chart.png":     pngBytes,
		"quiz.md":              goodQuiz,
	}
}

const pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

func parseMap(t testing.TB, slug string, files map[string]string) (*Module, []Problem) {
	t.Helper()
	raw := map[string][]byte{}
	for p, s := range files {
		raw[p] = []byte(s)
	}
	return Parse(FilesFS(raw), slug, Options{APIBase: "/api/v1"})
}

func logProblems(t testing.TB, probs []Problem) {
	t.Helper()
	for _, p := range probs {
		t.Logf("%s:%d: %s", p.File, p.Line, p.Message)
	}
}
