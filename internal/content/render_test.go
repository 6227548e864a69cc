package content

import (
	"strings"
	"testing"
)

const hostile = `# Hostile lesson

<script>alert(1)</script>

<img src=x onerror=alert(1)>

[click](javascript:alert(1))

[js upper](JaVaScRiPt:alert(1))

<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>

![pixel](data:image/png;base64,iVBORw0KGgo=)

<a href="vbscript:msgbox(1)">vb</a>

<iframe src="https://evil.example"></iframe>

<p style="color:red">styled</p>

<style>body{display:none}</style>

<object data="x.swf"></object><embed src="x.swf">

<form action="https://evil.example"><input type="text" name="q"><button>go</button></form>

<svg onload=alert(1)><circle r="1"/></svg>

<div onclick="alert(1)" onmouseover="alert(1)">hover</div>
`

func lessonHTML(t *testing.T, src string) string {
	t.Helper()
	files := sample()
	files["lessons/02-risks.md"] = src
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if len(probs) > 0 {
		t.Fatalf("%d problems", len(probs))
	}
	return m.Lessons[1].HTML
}

func TestSanitiserRemovesActiveContent(t *testing.T) {
	out := strings.ToLower(lessonHTML(t, hostile))
	for _, bad := range []string{
		"<script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "vbscript:",
		"data:", "<iframe", "style=", "<style", "<object", "<embed", "<form", "<svg",
		`type="text"`, "<button",
	} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "styled") || !strings.Contains(out, "hover") {
		t.Errorf("harmless text was lost:\n%s", out)
	}
}

func TestSanitiserKeepsFormatting(t *testing.T) {
	out := lessonHTML(t, "# Risks and benefits\n\nIntro.\n\n# Second part\n\n## Data *privacy*\n\n"+
		"| Risk | Mitigation |\n| --- | :-: |\n| Bias | Audit |\n\n"+
		"```python\nprint('hi')\n```\n\n```c++\nint x;\n```\n\n"+
		"- [x] done\n- [ ] to do\n\n~~old~~ **bold** https://example.com\n")
	for _, want := range []string{
		`<h1 id="lesson-second-part">`, `<h2 id="lesson-data-privacy">`,
		"<table>", "<th>Risk</th>", "<td>Bias</td>",
		`<code class="language-python">`, `<code class="language-c++">`,
		`<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`,
		"<del>old</del>", "<strong>bold</strong>", `<a href="https://example.com"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// The lesson's title heading is sent as "title", so the HTML starts after
// it; a level-1 heading further down stays.
func TestLessonHTMLLeavesOutTheTitle(t *testing.T) {
	files := sample()
	files["lessons/02-risks.md"] = "# Risks and benefits\n\nIntro.\n"
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	l := m.Lessons[1]
	if l.Title != "Risks and benefits" || strings.Contains(l.HTML, "<h1") || !strings.Contains(l.HTML, "Intro.") {
		t.Fatalf("title %q, html %q", l.Title, l.HTML)
	}
}

func TestSanitiserDropsBadCodeClass(t *testing.T) {
	out := lessonHTML(t, "# T\n\n<code class=\"language-go evil\">x</code> <pre><code class=\"x\">y</code></pre>\n")
	if strings.Contains(out, "class=") {
		t.Errorf("unexpected class kept:\n%s", out)
	}
}

func TestLinksRewritten(t *testing.T) {
	files := sample()
	files["lessons/01-why-ai.md"] = "# Why AI\n\n[next](02-risks.md#mitigation) " +
		"[same page](#top) [abs](https://example.com/x) [mail](mailto:a@example.com) " +
		"![chart](../assets/chart.png) [download](../assets/chart.png)\n\n[ref]: 02-risks.md\n\n[by ref][ref]\n"
	files["module.md"] = keys() + "\n![chart](assets/chart.png) [start](./lessons/01-why-ai.md)\n"
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if len(probs) > 0 {
		t.Fatal("unexpected problems")
	}
	v := m.Hash[:12]
	lesson := m.Lessons[0].HTML
	for _, want := range []string{
		`href="/api/v1/modules/working-with-ai/lessons/risks#lesson-mitigation"`,
		`href="#lesson-top"`, `href="https://example.com/x"`, `href="mailto:a@example.com"`,
		`src="/api/v1/modules/working-with-ai/assets/chart.png?v=` + v + `"`,
		`href="/api/v1/modules/working-with-ai/assets/chart.png?v=` + v + `"`,
		`href="/api/v1/modules/working-with-ai/lessons/risks"`,
	} {
		if !strings.Contains(lesson, want) {
			t.Errorf("lesson lacks %s:\n%s", want, lesson)
		}
	}
	for _, want := range []string{
		`src="/api/v1/modules/working-with-ai/assets/chart.png?v=` + v + `"`,
		`href="/api/v1/modules/working-with-ai/lessons/why-ai"`,
	} {
		if !strings.Contains(m.OverviewHTML, want) {
			t.Errorf("overview lacks %s:\n%s", want, m.OverviewHTML)
		}
	}
}

func TestAssetVersionFollowsContent(t *testing.T) {
	a, _ := parseMap(t, "working-with-ai", sample())
	files := sample()
	files["assets/chart.png"] = pngBytes + "changed"
	b, _ := parseMap(t, "working-with-ai", files)
	if a.Lessons[1].HTML == b.Lessons[1].HTML {
		t.Errorf("asset URL did not change with the content:\n%s", a.Lessons[1].HTML)
	}
}

func TestWordsAndMinutes(t *testing.T) {
	files := sample()
	files["lessons/01-why-ai.md"] = "# Why AI\n\n" + strings.Repeat("word ", 399) + "\n\n<div>raw html not counted</div>\n"
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if got := m.Lessons[0]; got.Words != 401 || got.Minutes != 3 {
		t.Errorf("words %d minutes %d, want 401 and 3", got.Words, got.Minutes)
	}
	if m.Lessons[1].Minutes != 1 || m.Minutes != 4 {
		t.Errorf("lesson 2 minutes %d, module %d; want 1 and 4", m.Lessons[1].Minutes, m.Minutes)
	}
	files["module.md"] = keys("minutes: 45")
	m, _ = parseMap(t, "working-with-ai", files)
	if m.Minutes != 45 {
		t.Errorf("front matter minutes ignored: %d", m.Minutes)
	}
}

// The guide's own example, "![The parts of a prompt: role, task, context,
// format](…)", lost its alt text: bluemonday's UGC policy keeps alt and
// title only when they hold no colon, question mark, quote or the
// typographer's curly apostrophe. Screen readers need the description.
func TestSanitiserKeepsImageDescriptionsAndTitles(t *testing.T) {
	out := lessonHTML(t, "# Risks\n\n"+
		"![The parts of a prompt: role, task, context, format](../assets/chart.png)\n\n"+
		"![Don't \"guess\" & why?](../assets/chart.png \"Chart: 2025 & 2026\")\n\n"+
		"[the first lesson](01-why-ai.md \"Why AI: the basics\")\n\n"+
		"<img src=\"../assets/chart.png\" alt=\"x\" title=\"a\x01b\">\n")
	for _, want := range []string{
		`alt="The parts of a prompt: role, task, context, format"`,
		`alt="Don’t “guess” &amp; why?"`,
		`title="Chart: 2025 &amp; 2026"`,
		`title="Why AI: the basics"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a\x01b") {
		t.Errorf("a control character in an attribute was kept:\n%s", out)
	}
}
