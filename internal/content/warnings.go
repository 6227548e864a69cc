package content

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Warnings are what a trainer should look at but which do not stop a
// publish: leftovers of the scaffold, images that track readers or lack a
// description, quizzes a test-wise learner can pass without reading, and
// facts due for review. `upskill content lint --strict` fails on them.

// todoRE finds the TODO markers `upskill content new` plants.
var todoRE = regexp.MustCompile(`\bTODO\b`)

// remoteImgRE finds raw HTML images loaded from another host.
var remoteImgRE = regexp.MustCompile(`(?i)<img\b[^>]*\bsrc\s*=\s*["']?\s*(https?:)?//`)

// warnings adds the module-wide warnings once every file is read.
func (p *parsing) warnings() {
	files := make([]string, 0, len(p.mod.Files))
	for f := range p.mod.Files {
		if kindOf(f) != "asset" && !p.blocked[f] {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		p.scanLines(f, p.mod.Files[f])
	}
	if p.mod.ReviewBy != "" && p.mod.ReviewOverdue(p.now) {
		p.warn("module.md", p.reviewLine, fmt.Sprintf("review_by %s has passed: check the module's facts (laws, dates, tools), then set a new date", p.mod.ReviewBy))
	}
	if q := p.mod.Quiz; q != nil && len(q.Questions) > 0 {
		p.quizWarnings(q)
	}
}

// scanLines warns about TODO text and raw HTML images from other hosts.
func (p *parsing) scanLines(file string, src []byte) {
	todos := 0
	for i, l := range bytes.Split(src, []byte("\n")) {
		if todoRE.Match(l) {
			if todos++; todos <= 5 {
				p.warn(file, i+1, "leftover TODO text: replace it with the real content")
			}
		}
		if remoteImgRE.Match(l) {
			p.warn(file, i+1, "remote image: its server learns who reads this and when; put the image in assets/")
		}
	}
	if todos > 5 {
		p.warn(file, 0, fmt.Sprintf("%d lines with TODO text in all", todos))
	}
}

// quizWarnings looks for quizzes that can be passed without reading, or
// whose settings do not do what the trainer probably meant.
func (p *parsing) quizWarnings(q *Quiz) {
	const file = "quiz.md"
	shown := q.Asked()
	if pool := len(q.Questions); 2*pool < 3*shown {
		p.warn(file, p.drawLine, fmt.Sprintf("the pool has %s for %d asked; write at least %d (1.5 × the questions asked) so attempts differ", count(pool, "question"), shown, (3*shown+1)/2))
	}
	singles, longest, first := 0, 0, 0
	for _, qu := range q.Questions {
		if qu.Kind != "single" {
			continue
		}
		singles++
		if correctIsLongest(qu) {
			if longest++; first == 0 {
				first = qu.Line
			}
		}
	}
	if singles > 0 && 2*longest > singles {
		p.warn(file, first, fmt.Sprintf("the correct choice is the longest in %d of %d single-answer questions: a learner who picks the longest answer passes without reading; make wrong choices as full as the right one", longest, singles))
	}
	if below, above, exact := passScores(p.mod.PassMark, shown); !exact {
		p.warn("module.md", p.passMarkLine, fmt.Sprintf("pass_mark %d with %s asked needs %d of %d correct (%d%% passes at %d of %d, %d%% at %d): set pass_mark to a score learners can get exactly",
			p.mod.PassMark, count(shown, "question"), above, shown, above*100/shown, above, shown, below*100/shown, below))
	}
}

// passScores finds, for a pass mark and n questions, the most right answers
// that still fail (below) and the fewest that pass (above); exact is true
// when some number of right answers scores the pass mark itself. Scores
// are rounded down, as grading does.
func passScores(mark, n int) (below, above int, exact bool) {
	above = n
	for k := 0; k <= n; k++ {
		score := k * 100 / n
		if score == mark {
			exact = true
		}
		if score >= mark {
			above = k
			break
		}
		below = k
	}
	return below, above, exact
}

// correctIsLongest reports whether the one correct choice of a single-answer
// question is strictly longer than every other choice, counting the text a
// learner reads.
func correctIsLongest(q Question) bool {
	right, other := -1, -1
	for _, c := range q.Choices {
		n := utf8.RuneCountInString(visibleText(c.TextHTML))
		if c.Correct {
			right = n
		} else {
			other = max(other, n)
		}
	}
	return right > other && other >= 0
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// visibleText is sanitised HTML without its tags, entities decoded.
func visibleText(h string) string {
	return strings.TrimSpace(stdhtml.UnescapeString(tagRE.ReplaceAllString(h, "")))
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
