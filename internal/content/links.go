package content

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// linker rewrites relative links between a module's files to the API's
// URLs, and reports the ones that lead nowhere: a trainer previewing on a
// Git host sees working links, and learners see working links in the app.
type linker struct {
	base    string            // {APIBase}/modules/{slug}
	lessons map[string]string // "lessons/01-x.md" -> "x"
	assets  map[string]bool
	version string // cache buster for asset URLs
}

func newLinker(apiBase string, m *Module, lessons []lessonFile) *linker {
	k := &linker{
		base:    strings.TrimRight(apiBase, "/") + "/modules/" + m.Slug,
		lessons: map[string]string{},
		assets:  map[string]bool{},
		version: m.Hash[:12],
	}
	for _, l := range lessons {
		k.lessons[l.path] = l.slug
	}
	for f := range m.Files {
		if kindOf(f) == "asset" {
			k.assets[f] = true
		}
	}
	return k
}

// rewrite changes the destinations of d's links and images in place.
func (k *linker) rewrite(d *doc) {
	_ = ast.Walk(d.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = []byte(k.resolve(d, n, string(n.Destination), false))
		case *ast.Image:
			if strings.TrimSpace(d.plain(n)) == "" {
				d.warn(d.line(n), fmt.Sprintf("image %s has no alt text: describe it for people who cannot see it, e.g. ![a chart of hours saved](...)", n.Destination))
			}
			if remote(string(n.Destination)) {
				d.warn(d.line(n), fmt.Sprintf("remote image %s: its server learns who reads this lesson and when; put the image in assets/", n.Destination))
			}
			n.Destination = []byte(k.resolve(d, n, string(n.Destination), true))
		}
		return ast.WalkContinue, nil
	})
}

// remote reports whether dest points off the module: another host.
func remote(dest string) bool {
	u, err := url.Parse(strings.TrimSpace(dest))
	return err == nil && (u.Host != "" || strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https"))
}

// resolve returns the URL for dest as written in d; absolute URLs and
// in-page anchors stay as they are (the sanitiser decides about schemes).
func (k *linker) resolve(d *doc, n ast.Node, dest string, image bool) string {
	broken := func(why string) string {
		d.problem(d.line(n), fmt.Sprintf("broken link: %s (%s)", dest, why))
		return dest
	}
	if dest == "" {
		return broken("empty address")
	}
	if frag, ok := strings.CutPrefix(dest, "#"); ok {
		if frag == "" {
			return dest
		}
		return "#" + AnchorPrefix + frag
	}
	u, err := url.Parse(dest)
	switch {
	case err != nil:
		return broken("not a valid address")
	case u.Scheme != "" || u.Host != "" || strings.HasPrefix(dest, "//"):
		return dest
	case u.Path == "":
		return broken("no file named")
	case strings.HasPrefix(u.Path, "/"):
		return broken("write links relative to this file, e.g. ../assets/chart.png")
	}
	target := path.Join(path.Dir(d.file), u.Path)
	if target == ".." || strings.HasPrefix(target, "../") {
		return broken("it leads out of the module")
	}
	if slug, ok := k.lessons[target]; ok && !image {
		out := k.base + "/lessons/" + slug
		if u.Fragment != "" {
			out += "#" + AnchorPrefix + u.EscapedFragment()
		}
		return out
	}
	if k.assets[target] {
		return k.base + "/" + target + "?v=" + k.version
	}
	if image {
		return broken("no such image in assets/")
	}
	return broken("no such lesson or asset in this module")
}
