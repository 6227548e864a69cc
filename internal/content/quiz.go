package content

import (
	"fmt"
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"gopkg.in/yaml.v3"
)

// quiz reads quiz.md: optional front matter, then one question per "## "
// heading, read from goldmark's AST so Markdown in prompts and choices
// (code, emphasis, links) survives exactly as a lesson would show it.
func (p *parsing) quiz(src []byte) *Quiz {
	const file = "quiz.md"
	q := &Quiz{Shuffle: true, Reveal: "after_submit"}
	fm, closed := splitFrontMatter(src)
	if !closed {
		p.problem(file, 1, "front matter opened with '---' on line 1 is never closed by a '---' line")
		return q
	}
	drawLine := 1
	if len(fm.yaml) > MaxFrontMatter {
		p.problem(file, 1, fmt.Sprintf("front matter is %d bytes; at most %d", len(fm.yaml), MaxFrontMatter))
		return q
	}
	if fm.found {
		report := func(line int, msg string) { p.problem(file, line+1, msg) }
		seen, _ := fields{report: report, known: quizKeys(q, report)}.walk(fm.yaml)
		if l, ok := seen["draw"]; ok {
			drawLine = l + 1
		}
	}
	d := parseDoc(file, fm.body, fm.skip)
	p.links.rewrite(d)
	q.Questions = questions(d)
	p.probs = append(p.probs, d.probs...)
	p.warns = append(p.warns, d.warns...)
	p.drawLine = drawLine
	if len(q.Questions) == 0 {
		p.problem(file, 0, "quiz has no questions: start each with a '## ' heading")
	}
	if q.Draw > len(q.Questions) && len(q.Questions) > 0 {
		p.problem(file, drawLine, fmt.Sprintf("draw is %d but the quiz has only %d questions", q.Draw, len(q.Questions)))
	}
	return q
}

func quizKeys(q *Quiz, report func(int, string)) map[string]func(*yaml.Node) {
	return map[string]func(*yaml.Node){
		"shuffle": func(v *yaml.Node) {
			b, ok := yamlBool(v)
			if !ok {
				report(v.Line, fmt.Sprintf("shuffle is %s; want true or false", show(v)))
			}
			q.Shuffle = b || !ok
		},
		"draw": func(v *yaml.Node) {
			n, ok := yamlInt(v)
			if !ok || n < 1 {
				report(v.Line, fmt.Sprintf("draw is %s; want a whole number of questions, at least 1", show(v)))
				return
			}
			q.Draw = n
		},
		"reveal": func(v *yaml.Node) {
			s, _ := yamlString(v)
			if s != "after_submit" && s != "never" {
				report(v.Line, fmt.Sprintf("reveal is %s; want after_submit or never", show(v)))
				return
			}
			q.Reveal = s
		},
	}
}

// draft is a question while its blocks are being collected.
type draft struct {
	heading *ast.Heading
	prompt  []ast.Node
	choices *ast.List
	explain []ast.Node
}

// questions splits the top-level blocks at "## " headings. Blocks before
// the first question (a title, an introduction) are not part of any
// question and are left out.
func questions(d *doc) []Question {
	var drafts []*draft
	var cur *draft
	for n := d.root.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level == 2 {
			cur = &draft{heading: h}
			drafts = append(drafts, cur)
			continue
		}
		if cur == nil {
			continue
		}
		list, isList := n.(*ast.List)
		switch {
		case cur.choices == nil && isList && isTaskList(list):
			cur.choices = list
		case cur.choices == nil:
			cur.prompt = append(cur.prompt, n)
		case n.Kind() == ast.KindBlockquote:
			cur.explain = append(cur.explain, n)
		case isList && isTaskList(list):
			d.problem(d.line(n), "a second list of choices: a question's choices must form one list (do not mix '-', '*' and '+' or number them)")
		case n.Kind() == ast.KindThematicBreak || n.Kind() == ast.KindHTMLBlock:
			// separators and comments between questions
		default:
			d.problem(d.line(n), "only a '> ' explanation may follow the choices; start a new question with '## '")
		}
	}
	out := make([]Question, 0, len(drafts))
	for i, dr := range drafts {
		out = append(out, dr.build(d, i+1))
	}
	return out
}

// isTaskList reports whether any item of l starts with a checkbox.
func isTaskList(l *ast.List) bool {
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		if checkbox(it) != nil {
			return true
		}
	}
	return false
}

// checkbox finds the "[ ]" or "[x]" that opens a list item.
func checkbox(item ast.Node) *extast.TaskCheckBox {
	if first := item.FirstChild(); first != nil {
		if cb, ok := first.FirstChild().(*extast.TaskCheckBox); ok {
			return cb
		}
	}
	return nil
}

func (dr *draft) build(d *doc, n int) Question {
	q := Question{ID: fmt.Sprintf("q%d", n), Line: d.line(dr.heading)}
	prompt := d.inner(dr.heading)
	if prompt == "" {
		d.problem(q.Line, "question has no text after '## '")
	}
	parts := []string{"<p>" + prompt + "</p>"}
	for _, b := range dr.prompt {
		parts = append(parts, d.html(b))
	}
	q.PromptHTML = strings.Join(parts, "\n")
	var explain []string
	for _, b := range dr.explain {
		explain = append(explain, d.inner(b))
	}
	q.ExplanationHTML = strings.Join(explain, "\n")
	if dr.choices == nil {
		d.problem(q.Line, "question has no choices: add a list of '- [ ]' and '- [x]' items")
		return q
	}
	q.Choices = choices(d, q.ID, dr.choices)
	correct := 0
	for _, c := range q.Choices {
		if c.Correct {
			correct++
		}
	}
	switch {
	case len(q.Choices) < 2:
		d.problem(q.Line, "question has fewer than two choices")
	case correct == 0:
		d.problem(q.Line, "question has no correct choice: mark the right ones with [x]")
	case correct == len(q.Choices):
		d.problem(q.Line, "every choice is correct: a question needs at least one wrong choice")
	}
	q.Kind = "single"
	if correct >= 2 {
		q.Kind = "multiple"
	}
	return q
}

func choices(d *doc, qid string, list *ast.List) []Choice {
	var out []Choice
	var items []ast.Node
	for it := list.FirstChild(); it != nil; it = it.NextSibling() {
		items = append(items, it)
	}
	for i, it := range items {
		c := Choice{ID: fmt.Sprintf("%s-c%d", qid, i+1)}
		cb := checkbox(it)
		if cb == nil {
			d.problem(d.line(it), "choice has no [ ] or [x] box")
		} else {
			c.Correct = cb.IsChecked
			cb.Parent().RemoveChild(cb.Parent(), cb)
		}
		// A loose list (one with a blank line or a code block somewhere)
		// wraps every item in <p>; a one-paragraph choice reads better as
		// inline text, the same as in a tight list.
		body := ast.Node(it)
		if para, ok := it.FirstChild().(*ast.Paragraph); ok && it.ChildCount() == 1 {
			body = para
		}
		c.TextHTML = d.inner(body)
		if c.TextHTML == "" {
			d.problem(d.line(it), "choice has no text")
		}
		out = append(out, c)
	}
	return out
}
