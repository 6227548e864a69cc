package content

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// hasProblem reports whether probs hold one for file whose message
// contains part.
func hasProblem(probs []Problem, file, part string) bool {
	for _, p := range probs {
		if p.File == file && strings.Contains(p.Message, part) {
			return true
		}
	}
	return false
}

// The inputs of the security review, which took minutes of CPU to parse,
// and variants that fit the size limit: each is refused by a limit checked
// before parsing, and named with its file (and line where there is one).
func TestPathologicalMarkdownRefusedByLimits(t *testing.T) {
	const lesson = "lessons/02-risks.md"
	wrap := func(s string, width int) string {
		var b strings.Builder
		for len(s) > width {
			b.WriteString(s[:width] + "\n")
			s = s[width:]
		}
		return b.String() + s
	}
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"1 MB of '>'", "# T\n\n" + strings.Repeat(">", 1<<20), "more than the", 0},
		{"1 MB of '[a]('", "# T\n\n" + strings.Repeat("[a](", 1<<18), "more than the", 0},
		{"300 KB of '>'", "# T\n\n" + strings.Repeat(">", 300<<10), "more than the", 0},
		{"a long line", "# T\n\n" + strings.Repeat("a", MaxLineChars+1), "characters long", 3},
		{"deep quotes", "# T\n\n" + strings.Repeat("> ", MaxNesting+1) + "x\n", "levels of '>'", 3},
		{"deep quotes without spaces", "# T\n\n" + strings.Repeat(">", 4000), "levels of '>'", 3},
		{"unclosed links", "# T\n\n" + wrap(strings.Repeat("[a](", 40000), 1000), "links and images", 0},
		{"mixed emphasis", "# T\n\n" + wrap(strings.Repeat("_a*", 60000), 900), "'*', '_' and '['", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := sample()
			files[lesson] = c.src
			m, probs := parseMap(t, "working-with-ai", files)
			found := false
			for _, p := range probs {
				if p.File == lesson && strings.Contains(p.Message, c.want) && p.Line == c.line {
					found = true
				}
			}
			if !found {
				logProblems(t, probs)
				t.Fatalf("want a problem on %s:%d containing %q", lesson, c.line, c.want)
			}
			if len(m.Lessons) != 1 {
				t.Errorf("the lesson over the limits was parsed: %d lessons", len(m.Lessons))
			}
			// The refused lesson still exists: links to it are not broken.
			if hasProblem(probs, "lessons/01-why-ai.md", "broken link") || len(probs) > 3 {
				logProblems(t, probs)
				t.Error("problems beyond the limit itself")
			}
		})
	}
}

// Text under every limit still parses: the limits are far above real
// lessons.
func TestLimitsLeaveRealLessonsAlone(t *testing.T) {
	files := sample()
	var b strings.Builder
	b.WriteString("# A long lesson\n\n")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "Paragraph %d with *emphasis*, _more_, a [link](01-why-ai.md) and `code`.\n\n> > - quoted list %d\n\n", i, i)
	}
	b.WriteString("```\n" + strings.Repeat("> ", 100) + strings.Repeat("[a](", 600) + "\n```\n")
	files["lessons/02-risks.md"] = b.String()
	_, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if len(probs) > 0 {
		t.Fatalf("%d problems", len(probs))
	}
}

func TestModuleCaps(t *testing.T) {
	files := sample()
	for i := 1; i <= MaxLessons+1; i++ {
		files[fmt.Sprintf("lessons/%03d-l%d.md", i+10, i)] = fmt.Sprintf("# L%d\n", i)
	}
	_, probs := parseMap(t, "working-with-ai", files)
	if !hasProblem(probs, "lessons", fmt.Sprintf("at most %d", MaxLessons)) {
		logProblems(t, probs[:min(len(probs), 10)])
		t.Error("no problem for too many lessons")
	}

	files = sample()
	for i := 0; i < MaxFiles+5; i++ {
		files[fmt.Sprintf("assets/a%d.png", i)] = pngBytes
	}
	_, probs = parseMap(t, "working-with-ai", files)
	if !hasProblem(probs, ".", fmt.Sprintf("more than %d files", MaxFiles)) {
		t.Error("no problem for too many files")
	}
}

func TestFrontMatterLengths(t *testing.T) {
	long := strings.Repeat("word ", 100)
	cases := map[string]struct{ line, want string }{
		"title":         {"title: " + long, "title is 499 characters; at most 200"},
		"summary":       {"summary: " + long, "summary is 499 characters; at most 300"},
		"owner":         {"owner: " + strings.Repeat("a", 250) + "@example.com", "owner is"},
		"owner shape":   {"owner: Training Team <training@example.com>", "want one email address"},
		"prerequisites": {"prerequisites: [" + strings.TrimSuffix(strings.Repeat("abc-def, ", 60), ", ") + "]", "at most 50"},
		"review_by":     {"review_by: next year", "want a date"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			keys := append([]string{}, baseKeys...)
			if strings.HasPrefix(c.line, "title:") || strings.HasPrefix(c.line, "summary:") {
				k := strings.SplitN(c.line, ":", 2)[0]
				for i := range keys {
					if strings.HasPrefix(keys[i], k+":") {
						keys[i] = c.line
					}
				}
			} else {
				keys = append(keys, c.line)
			}
			files := sample()
			files["module.md"] = moduleFile(keys...)
			_, probs := parseMap(t, "working-with-ai", files)
			if !hasProblem(probs, "module.md", c.want) {
				logProblems(t, probs)
				t.Fatalf("want a problem containing %q", c.want)
			}
		})
	}

	files := sample()
	files["lessons/02-risks.md"] = "# " + strings.Repeat("x", MaxTitleChars+1) + "\n"
	_, probs := parseMap(t, "working-with-ai", files)
	if !hasProblem(probs, "lessons/02-risks.md", "title is 201 characters") {
		logProblems(t, probs)
		t.Error("no problem for a long lesson title")
	}
}

func TestReservedSlugs(t *testing.T) {
	for _, slug := range []string{"paths", "pulses", "policies"} {
		_, probs := parseMap(t, slug, sample())
		if !hasProblem(probs, "module.md", "reserved") {
			t.Errorf("%s: no reserved-name problem", slug)
		}
	}
}

// Lesson HTML keeps ids only on headings, prefixed, so it cannot clobber
// the ids of the page around it; in-page links follow the prefix.
func TestIDsScoped(t *testing.T) {
	out := lessonHTML(t, "# T\n\n## Data privacy\n\n<a id=\"config\" href=\"https://e.example\">x</a>\n<div id=\"__proto__\">y</div>\n\n<h3 id=\"own\">Own</h3>\n\n[up](#data-privacy)\n")
	for _, want := range []string{`<h2 id="lesson-data-privacy">`, `<h3 id="lesson-own">`, `href="#lesson-data-privacy"`} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %s:\n%s", want, out)
		}
	}
	for _, bad := range []string{`id="config"`, `id="__proto__"`, `id="own"`} {
		if strings.Contains(out, bad) {
			t.Errorf("keeps %s:\n%s", bad, out)
		}
	}
}

func warningsOf(t *testing.T, files map[string]string, now time.Time) []Problem {
	t.Helper()
	raw := map[string][]byte{}
	for p, s := range files {
		raw[p] = []byte(s)
	}
	m, probs := Parse(FilesFS(raw), "working-with-ai", Options{APIBase: "/api/v1", Now: func() time.Time { return now }})
	logProblems(t, probs)
	if len(probs) > 0 {
		t.Fatalf("%d problems", len(probs))
	}
	return m.Warnings
}

func TestWarnings(t *testing.T) {
	now := time.Date(2027, 7, 1, 9, 0, 0, 0, time.UTC)
	for _, w := range warningsOf(t, sample(), now) {
		if !strings.Contains(w.Message, "1 question") && !strings.Contains(w.Message, "1 of 1") {
			t.Errorf("the sample should warn only about its one-question quiz: %v", w)
		}
	}
	files := sample()
	files["module.md"] = moduleFile(append(baseKeys, "pass_mark: 67", "review_by: 2027-06-30", "owner: training@example.com")...)
	files["lessons/01-why-ai.md"] = "# Why AI\n\nTODO: write this.\n\n![](../assets/chart.png)\n\n![a pixel](https://tracker.example/p.png)\n\n<img src=\"//tracker.example/q.png\" alt=\"q\">\n"
	var quiz strings.Builder
	quiz.WriteString("---\ndraw: 3\n---\n\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&quiz, "## Question %d?\n\n- [ ] No\n- [x] Yes, this is the longest answer\n- [ ] Maybe\n\n", i)
	}
	files["quiz.md"] = quiz.String()
	want := []string{
		"lessons/01-why-ai.md:3: leftover TODO text",
		"lessons/01-why-ai.md:5: image ../assets/chart.png has no alt text",
		"lessons/01-why-ai.md:7: remote image https://tracker.example/p.png",
		"lessons/01-why-ai.md:9: remote image",
		"module.md:5: pass_mark 67 with 3 questions asked needs 3 of 3 correct",
		"module.md:6: review_by 2027-06-30 has passed",
		"quiz.md:2: the pool has 4 questions for 3 asked; write at least 5",
		"quiz.md:5: the correct choice is the longest in 4 of 4 single-answer questions",
	}
	got := warningsOf(t, files, now)
	var lines []string
	for _, w := range got {
		lines = append(lines, fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message))
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("missing warning %q in:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d warnings, want %d:\n%s", len(got), len(want), strings.Join(lines, "\n"))
	}
	// The day itself is not overdue.
	for _, w := range warningsOf(t, files, time.Date(2027, 6, 30, 23, 0, 0, 0, time.UTC)) {
		if strings.Contains(w.Message, "review_by") {
			t.Errorf("review_by warned on its own day: %s", w.Message)
		}
	}
}
