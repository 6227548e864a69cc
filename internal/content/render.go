package content

import (
	"bytes"
	stdhtml "html"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	xhtml "golang.org/x/net/html"
)

// markdown is shared: a goldmark instance is safe for concurrent use once
// built, and per-document state (heading ids) lives in a parser.Context.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Typographer),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// Raw HTML passes through only because sanitize runs on every
		// piece of HTML this package hands out.
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
})

// policy is built once and never changed afterwards, which is what makes
// sharing a bluemonday policy between goroutines safe.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\pL\pN_-]+$`)).
		OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	// UGC drops these; fenced code keeps its language for highlighting and
	// task lists keep their (disabled) checkboxes.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-zA-Z0-9+#-]+$`)).OnElements("code")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")
	// UGC keeps alt and title only when they hold nothing but letters,
	// digits and a little punctuation, so "The parts of a prompt: role,
	// task" or a typographer's curly apostrophe lost the image's
	// description. They are plain text the sanitiser escapes on output, so
	// any text without control characters is safe.
	text := regexp.MustCompile(`^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$`)
	p.AllowAttrs("alt").Matching(text).OnElements("img")
	p.AllowAttrs("title").Matching(text).OnElements("a", "img")
	return p
})

func sanitize(b []byte) string {
	return strings.TrimSpace(scopeIDs(policy().SanitizeBytes(b)))
}

// AnchorPrefix starts every id left in lesson HTML, so that a lesson cannot
// clobber the ids of the page that shows it (DOM clobbering: an element
// with id "config" becomes window.config).
const AnchorPrefix = "lesson-"

// scopeIDs rewrites sanitised HTML so that only headings keep an id, and
// each with AnchorPrefix; the linker points in-page links at the same
// prefixed ids. Other tokens are copied byte for byte.
func scopeIDs(b []byte) string {
	if !bytes.Contains(b, []byte("id=")) {
		return string(b)
	}
	var out strings.Builder
	z := xhtml.NewTokenizer(bytes.NewReader(b))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return out.String()
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		raw := z.Raw()
		tok := z.Token()
		kept, changed := tok.Attr[:0], false
		for _, a := range tok.Attr {
			if a.Key != "id" {
				kept = append(kept, a)
				continue
			}
			changed = true
			if isHeading(tok.Data) && a.Val != "" {
				a.Val = AnchorPrefix + a.Val
				kept = append(kept, a)
			}
		}
		if !changed {
			out.Write(raw)
			continue
		}
		tok.Attr = kept
		out.WriteString(tok.String())
	}
}

func isHeading(tag string) bool {
	return len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6'
}

// doc is one Markdown file being rendered: its source, where it sits in the
// module, and how to turn byte offsets into the file's line numbers.
type doc struct {
	file  string // relative path in the module
	src   []byte // Markdown without front matter
	skip  int    // lines of front matter before src
	nl    []int  // offsets of '\n' in src
	root  ast.Node
	probs []Problem
	warns []Problem
}

func parseDoc(file string, src []byte, skip int) *doc {
	d := &doc{file: file, src: src, skip: skip}
	for i, c := range src {
		if c == '\n' {
			d.nl = append(d.nl, i)
		}
	}
	ctx := parser.NewContext()
	d.root = markdown().Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	return d
}

// lineAt converts a byte offset in src to a line of the file.
func (d *doc) lineAt(off int) int {
	return sort.SearchInts(d.nl, off) + 1 + d.skip
}

// line finds the line where n starts: its own position, else that of its
// first descendant that has one, else its parent's. Never less than 1.
func (d *doc) line(n ast.Node) int {
	for p := n; p != nil; p = p.Parent() {
		if off := offset(p); off >= 0 {
			return d.lineAt(off)
		}
	}
	return 1 + d.skip
}

func offset(n ast.Node) int {
	if n.Pos() >= 0 {
		return n.Pos()
	}
	if t, ok := n.(*ast.Text); ok {
		return t.Segment.Start
	}
	if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if off := offset(c); off >= 0 {
			return off
		}
	}
	return -1
}

func (d *doc) problem(line int, msg string) {
	d.probs = append(d.probs, Problem{File: d.file, Line: line, Message: msg})
}

func (d *doc) warn(line int, msg string) {
	d.warns = append(d.warns, Problem{File: d.file, Line: line, Message: msg})
}

// html renders n (and its children) to sanitised HTML.
func (d *doc) html(n ast.Node) string {
	var buf bytes.Buffer
	if err := markdown().Renderer().Render(&buf, d.src, n); err != nil {
		d.problem(d.line(n), "cannot render: "+err.Error())
	}
	return sanitize(buf.Bytes())
}

// inner renders the children of n without n's own element, e.g. a list
// item's content without <li>, by moving them into a bare document.
func (d *doc) inner(n ast.Node) string {
	box := ast.NewDocument()
	var kids []ast.Node
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		kids = append(kids, c)
	}
	for _, c := range kids {
		box.AppendChild(box, c)
	}
	return d.html(box)
}

// words counts the words a reader sees: text and code, not markup or raw
// HTML.
func (d *doc) words() int {
	count := 0
	_ = ast.Walk(d.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			count += len(bytes.Fields(n.Segment.Value(d.src)))
		case *ast.String:
			count += len(bytes.Fields(n.Value))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				count += len(bytes.Fields(seg.Value(d.src)))
			}
		case *ast.HTMLBlock, *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return count
}

// plain is the text of n's inline content, for titles.
func (d *doc) plain(n ast.Node) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(d.src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	// Source text keeps Markdown escapes and entities; typographer
	// substitutions are entities too. A title is plain text, so undo both.
	s := stdhtml.UnescapeString(string(util.UnescapePunctuations([]byte(b.String()))))
	return strings.Join(strings.Fields(s), " ")
}
