package content

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Limits checked on the Markdown source before it is parsed. The Markdown
// parser does work that grows with the square of some shapes of input
// (a long chain of '>', thousands of unclosed "[a](", runs of mixed '*'
// and '_'), so a file that could make it slow is refused with a problem
// rather than parsed. The limits are deterministic: whether content is
// valid never depends on how fast the machine is. Each is far above what a
// lesson needs (the shipped lessons are under 15 KB with lines under 700
// characters); content/README.md lists them for trainers.
const (
	MaxMarkdownBytes   = 200 << 10 // bytes per Markdown file
	MaxLineChars       = 5000      // characters per line
	MaxNesting         = 16        // '>' quotes and list markers opening one line
	MaxLinks           = 500       // links and images ("](") plus reference definitions per file
	MaxMarksPerBlock   = 500       // '*', '_' and '[' per paragraph (lines between blank lines), outside code
	MaxLessons         = 200       // lessons per module
	MaxFiles           = 500       // files per module
	MaxTitleChars      = 200       // a module's or lesson's title
	MaxFrontMatter     = 16 << 10  // bytes of front matter
	maxListItems       = 50        // items of a front-matter list (topics, prerequisites)
	maxEmailChars      = 254
	maxProblemsPerFile = 20 // limit problems reported per file; the rest are counted
)

// checkLimits reports the ways src (a whole Markdown file, front matter
// included) breaks the limits above, each with its line. It reads src once
// and never calls the parser. A file with any of these problems is not
// parsed at all.
func checkLimits(file string, src []byte) []Problem {
	var probs []Problem
	extra := 0
	report := func(line int, msg string) {
		if len(probs) < maxProblemsPerFile {
			probs = append(probs, Problem{File: file, Line: line, Message: msg})
		} else {
			extra++
		}
	}
	links, marks, blockStart := 0, 0, 1
	inFence := false
	var fence []byte
	line := 0
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src) - off
		}
		l := src[off : off+end]
		off += end + 1
		line++
		if n := utf8.RuneCount(l); n > MaxLineChars {
			report(line, fmt.Sprintf("line is %d characters long; at most %d (break it into shorter lines)", n, MaxLineChars))
		}
		trimmed := bytes.TrimLeft(l, " \t>")
		if f := fenceOf(trimmed); f != nil && (!inFence || bytes.HasPrefix(trimmed, fence)) {
			inFence, fence = !inFence, f
			continue
		}
		if inFence {
			continue
		}
		if len(bytes.TrimSpace(l)) == 0 {
			marks, blockStart = 0, line+1
			continue
		}
		if d := nesting(l); d > MaxNesting {
			report(line, fmt.Sprintf("%d levels of '>' quotes or list markers; at most %d", d, MaxNesting))
		}
		links += bytes.Count(l, []byte("](")) + refDefinition(l)
		before := marks
		marks += bytes.Count(l, []byte("*")) + bytes.Count(l, []byte("_")) + bytes.Count(l, []byte("["))
		if before <= MaxMarksPerBlock && marks > MaxMarksPerBlock {
			report(blockStart, fmt.Sprintf("this paragraph holds more than %d '*', '_' and '[' marks; split it with blank lines", MaxMarksPerBlock))
		}
	}
	if links > MaxLinks {
		report(0, fmt.Sprintf("%d links and images; at most %d per file", links, MaxLinks))
	}
	if extra > 0 {
		probs = append(probs, Problem{File: file, Message: fmt.Sprintf("and %d more problems with these limits", extra)})
	}
	return probs
}

// fenceOf returns the fence ("```" or "~~~") that l opens or closes, or nil.
func fenceOf(l []byte) []byte {
	for _, f := range [][]byte{[]byte("```"), []byte("~~~")} {
		if bytes.HasPrefix(l, f) {
			return f
		}
	}
	return nil
}

// nesting counts the quote markers and list markers that open a line:
// "> > - x" is 3.
func nesting(l []byte) int {
	depth := 0
	for i := 0; i < len(l); {
		switch c := l[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '>':
			depth++
			i++
		case (c == '-' || c == '*' || c == '+') && i+1 < len(l) && (l[i+1] == ' ' || l[i+1] == '\t'):
			depth++
			i += 2
		case c >= '0' && c <= '9':
			j := i
			for j < len(l) && j-i < 9 && l[j] >= '0' && l[j] <= '9' {
				j++
			}
			if j+1 < len(l) && (l[j] == '.' || l[j] == ')') && (l[j+1] == ' ' || l[j+1] == '\t') {
				depth++
				i = j + 2
				continue
			}
			return depth
		default:
			return depth
		}
	}
	return depth
}

// refDefinition is 1 when l looks like a link reference definition
// ("[label]: url").
func refDefinition(l []byte) int {
	l = bytes.TrimLeft(l, " \t>")
	if len(l) == 0 || l[0] != '[' {
		return 0
	}
	if i := bytes.Index(l, []byte("]:")); i > 0 {
		return 1
	}
	return 0
}
