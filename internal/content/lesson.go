package content

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
)

// lessonName is "NN-slug.md"; lesson slugs follow the module slug rule but
// may be short ("01-ai.md").
var lessonName = regexp.MustCompile(`^([0-9]+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$`)

const wordsPerMinute = 200

// lessonFile is a lesson found in lessons/ before it is rendered.
// Files whose name is well formed but clash with another are kept with
// skip set: they are not published, but links to them are not broken.
type lessonFile struct {
	path   string
	number int
	slug   string
	skip   bool
}

// lessonFiles lists lessons/ in number order, reporting names that break the
// pattern and numbers or slugs used twice (on the later file, by name order,
// so the report does not depend on map order).
func (p *parsing) lessonFiles() []lessonFile {
	var paths []string
	for f := range p.mod.Files {
		if kindOf(f) == "lesson" {
			paths = append(paths, f)
		}
	}
	sort.Strings(paths)
	var out []lessonFile
	numbers, slugs := map[int]string{}, map[string]string{}
	for _, f := range paths {
		m := lessonName.FindStringSubmatch(path.Base(f))
		n, err := 0, error(nil)
		if m != nil {
			n, err = strconv.Atoi(m[1])
		}
		switch {
		case m == nil || err != nil || len(m[2]) > 64:
			p.problem(f, 0, "lesson file name must be a number, a hyphen, a slug and .md, e.g. lessons/01-why-ai.md")
		case numbers[n] != "":
			p.problem(f, 0, fmt.Sprintf("two lessons with number %d: %s and %s", n, numbers[n], f))
			out = append(out, lessonFile{path: f, number: n, slug: m[2], skip: true})
		case slugs[m[2]] != "":
			p.problem(f, 0, fmt.Sprintf("two lessons with slug %q: %s and %s", m[2], slugs[m[2]], f))
			out = append(out, lessonFile{path: f, number: n, slug: m[2], skip: true})
		default:
			numbers[n], slugs[m[2]] = f, f
			out = append(out, lessonFile{path: f, number: n, slug: m[2]})
		}
	}
	if len(paths) == 0 {
		p.problem("lessons", 0, "a module needs at least one lesson: lessons/01-<slug>.md")
	}
	if len(paths) > MaxLessons {
		p.problem("lessons", 0, fmt.Sprintf("%d lessons; a module may have at most %d (split it into several modules)", len(paths), MaxLessons))
	}
	slices.SortStableFunc(out, func(a, b lessonFile) int { return cmp.Compare(a.number, b.number) })
	return out
}

// lessons renders every lesson and totals the module's minutes.
func (p *parsing) lessons(files []lessonFile) {
	total := 0
	for _, lf := range files {
		src, ok := p.source(lf.path)
		if lf.skip || !ok {
			continue
		}
		d := parseDoc(lf.path, src, 0)
		l := Lesson{Number: lf.number, Slug: lf.slug, Words: d.words()}
		titleLine := 0
		if h := firstTitle(d.root); h != nil {
			l.Title, titleLine = d.plain(h), d.line(h)
			if d.root.FirstChild() == h {
				// The API sends the title beside the HTML; a frontend showing
				// both would repeat it.
				d.root.RemoveChild(d.root, h)
			}
		}
		if l.Title == "" {
			p.problem(lf.path, 0, "lesson has no title: start it with a '# ' heading")
		} else if n := utf8.RuneCountInString(l.Title); n > MaxTitleChars {
			p.problem(lf.path, titleLine, fmt.Sprintf("the title is %d characters; at most %d", n, MaxTitleChars))
		}
		l.Minutes = max(1, (l.Words+wordsPerMinute-1)/wordsPerMinute)
		total += l.Minutes
		p.links.rewrite(d)
		l.HTML = d.html(d.root)
		p.probs = append(p.probs, d.probs...)
		p.warns = append(p.warns, d.warns...)
		p.mod.Lessons = append(p.mod.Lessons, l)
	}
	if p.mod.Minutes == 0 {
		p.mod.Minutes = max(1, total)
	}
}

// firstTitle finds the first level-1 heading anywhere in the lesson.
func firstTitle(root ast.Node) *ast.Heading {
	var h *ast.Heading
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if x, ok := n.(*ast.Heading); ok && entering && x.Level == 1 {
			h = x
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return h
}

// assets checks every image under assets/: extension, and bytes that match
// it, since browsers are told the type from the extension with nosniff.
func (p *parsing) assets() {
	for f, data := range p.mod.Files {
		if kindOf(f) != "asset" {
			continue
		}
		ext := strings.ToLower(path.Ext(f))
		ctype, ok := assetExts[ext]
		switch {
		case !ok:
			p.problem(f, 0, "assets must be .png, .jpg, .jpeg, .gif or .webp images")
		case !assetName.MatchString(path.Base(f)):
			p.problem(f, 0, "asset names may use only letters, digits, '.', '-' and '_'")
		case sniff(data) != ctype:
			p.problem(f, 0, fmt.Sprintf("file content is not a %s image", strings.TrimPrefix(ext, ".")))
		default:
			p.mod.Assets[f] = Asset{ContentType: ctype, Data: data}
		}
	}
}

// AssetType is the content type of an image named file, from its
// extension, or "" when it is not an image a module may hold.
func AssetType(file string) string {
	if !assetName.MatchString(path.Base(file)) {
		return ""
	}
	return assetExts[strings.ToLower(path.Ext(file))]
}

// assetName keeps asset URLs free of characters that need escaping.
var assetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// sniff names the image type from its magic bytes.
func sniff(b []byte) string {
	s := string(b[:min(len(b), 12)])
	switch {
	case strings.HasPrefix(s, "\x89PNG\r\n\x1a\n"):
		return "image/png"
	case strings.HasPrefix(s, "\xff\xd8\xff"):
		return "image/jpeg"
	case strings.HasPrefix(s, "GIF87a"), strings.HasPrefix(s, "GIF89a"):
		return "image/gif"
	case len(s) == 12 && s[:4] == "RIFF" && s[8:] == "WEBP":
		return "image/webp"
	}
	return ""
}
