package content

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary module.md, lesson and quiz.md text to Parse.
// Parse must not panic, and every problem must point at a file and a line
// that exists in it (0 meaning the whole file).
func FuzzParse(f *testing.F) {
	s := sample()
	f.Add([]byte(s["module.md"]), []byte(s["lessons/01-why-ai.md"]), []byte(s["quiz.md"]))
	f.Add([]byte(keys("pass_mark: high", "valid_for: 2w", "topics: x", "prerequisites: [working-with-ai, X]")),
		[]byte("no title [x](../../y) ![i](assets/none.png) <script>x</script>"),
		[]byte("---\ndraw: 9\nshuffle: 3\n---\n## \n\n- [x] a\n\n## b\n- c\n> e\n\ntext"))
	f.Add([]byte("---\n"), []byte("# \n[]()"), []byte("---\n---\n##\n- [ ]\n- [x]\n"))
	f.Add([]byte("---\na: &x [*x]\nb: *x\n---\n"), []byte("# T\n\n| a |\n| - |\n| [x](#) |"), []byte("## q\n\n1. [x] `a`\n2. [ ] b\n\n> ex\n\n***\n"))
	f.Add([]byte(keys()+"<script>x</script><iframe>"), []byte(hostile), []byte("## <style>q</style>\n\n- [x] <form>\n- [ ] <object>\n\n> <embed src=x>\n"))
	f.Add([]byte("\xef\xbb\xbf---\r\ntitle: t\r\n---\r\n"), []byte("Title\n=====\n\n[r]: 02-x.md\n[a][r]"), []byte("> q\n## x\n> y\n- [x] z\n- [ ] w\n"))
	f.Fuzz(func(t *testing.T, module, lesson, quiz []byte) {
		files := map[string][]byte{
			"module.md":            module,
			"lessons/01-why-ai.md": lesson,
			"quiz.md":              quiz,
			"assets/chart.png":     []byte(pngBytes),
		}
		m, probs := Parse(FilesFS(files), "working-with-ai", Options{APIBase: "/api/v1"})
		if m == nil {
			t.Fatal("nil module")
		}
		for _, h := range renderedHTML(m) {
			low := strings.ToLower(h)
			for _, tag := range []string{"<script", "<iframe", "<style", "<object", "<embed", "<form"} {
				if strings.Contains(low, tag) {
					t.Fatalf("%s survived sanitising: %s", tag, h)
				}
			}
		}
		for _, p := range probs {
			if p.File == "" || p.Line < 0 || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
			if src, ok := files[p.File]; ok && p.Line > bytes.Count(src, []byte("\n"))+1 {
				t.Fatalf("problem %+v past the end of %d-line file", p, bytes.Count(src, []byte("\n"))+1)
			}
		}
	})
}

// renderedHTML lists every piece of HTML a module hands out.
func renderedHTML(m *Module) []string {
	out := []string{m.OverviewHTML}
	for _, l := range m.Lessons {
		out = append(out, l.HTML)
	}
	if m.Quiz != nil {
		for _, q := range m.Quiz.Questions {
			out = append(out, q.PromptHTML, q.ExplanationHTML)
			for _, c := range q.Choices {
				out = append(out, c.TextHTML)
			}
		}
	}
	return out
}

// realistic builds a module the size trainers write: five lessons of about
// 900 words with headings, lists, a table, code, links and an image, and a
// ten-question quiz.
func realistic() map[string][]byte {
	files := map[string][]byte{
		"module.md": []byte("---\n" + strings.Join(baseKeys, "\n") +
			"\nlevel: intermediate\nvalid_for: 12mo\nprerequisites: [ai-basics]\n---\n\n" +
			strings.Repeat("Overview text for the module. ", 30) + "Start with [lesson one](lessons/01-lesson-1.md).\n"),
		"assets/chart.png": []byte(pngBytes),
	}
	para := strings.Repeat("Marketing teams use AI to draft copy, segment audiences and test ideas faster. ", 12)
	for i := 1; i <= 5; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "# Lesson %d\n\n", i)
		for j := 0; j < 6; j++ {
			fmt.Fprintf(&b, "## Part %d\n\n%s\n\n- point *one*\n- point **two**\n\n", j, para)
		}
		b.WriteString("| a | b |\n| - | - |\n| 1 | 2 |\n\n```python\nprint('x')\n```\n\n")
		fmt.Fprintf(&b, "![chart](../assets/chart.png) [next](0%d-lesson-%d.md#part-1)\n", i%5+1, i%5+1)
		files[fmt.Sprintf("lessons/0%d-lesson-%d.md", i, i)] = []byte(b.String())
	}
	var q strings.Builder
	q.WriteString("---\ndraw: 5\n---\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&q, "## Question %d about `code`?\n\nA scenario paragraph.\n\n- [ ] wrong\n- [x] right\n- [ ] also wrong\n\n> Because.\n\n", i)
	}
	files["quiz.md"] = []byte(q.String())
	return files
}

func BenchmarkParseModule(b *testing.B) {
	files := realistic()
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := Parse(FilesFS(files), "working-with-ai", Options{APIBase: "/api/v1"}); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}
