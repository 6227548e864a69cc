package catalog

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/store"
)

// files is a module's source files, built up by the helpers below so a
// test reads like the module it publishes.
type files map[string][]byte

// newModule returns a valid module: front matter with title, two lessons
// that link to each other and to an image, and a two-question quiz.
func newModule(title string, front ...string) files {
	fm := fmt.Sprintf("---\ntitle: %s\nsummary: A module about %s.\ntopics: [ethics, bias]\n%s---\n\nStart with [the intro](lessons/01-intro.md).\n",
		title, strings.ToLower(title), strings.Join(append(front, ""), "\n"))
	return files{
		"module.md":           []byte(fm),
		"lessons/01-intro.md": []byte("# Intro\n\nRead [the next one](02-next.md).\n\n![A chart](../assets/chart.png)\n"),
		"lessons/02-next.md":  []byte("# Next\n\nThat is all.\n"),
		"assets/chart.png":    pngBytes(),
		"quiz.md": []byte("## Which is right?\n\n- [x] This one\n- [ ] That one\n\n> Because.\n\n" +
			"## Which are right?\n\n- [x] A\n- [x] B\n- [ ] C\n"),
	}
}

func (f files) with(path, text string) files {
	out := files{}
	for k, v := range f {
		out[k] = v
	}
	out[path] = []byte(text)
	return out
}

func pngBytes() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	return b.Bytes()
}

// parsed parses f as module slug and fails the test on any problem.
func parsed(t *testing.T, s *Service, slug string, f files) *content.Module {
	t.Helper()
	m, probs := s.CheckUpload(slug, f)
	if len(probs) > 0 {
		t.Fatalf("module %s has problems: %v", slug, probs)
	}
	return m
}

// publish publishes f as slug and fails the test on error.
func publish(t *testing.T, s *Service, slug string, f files) PublishResult {
	t.Helper()
	res, err := s.Publish(context.Background(), parsed(t, s, slug, f), "")
	if err != nil {
		t.Fatalf("publish %s: %v", slug, err)
	}
	return res
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

type contentProblem = content.Problem
