package catalog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/store/storetest"
)

// writeModule writes f into dir/slug.
func writeModule(t *testing.T, dir, slug string, f files) {
	t.Helper()
	for p, data := range f {
		full := filepath.Join(dir, slug, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImportDirSkipsBrokenModulesAndPublishesTheRest(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir, "ai-basics", newModule("AI Basics"))
	// Depends on a module published in the same import: that one goes first.
	writeModule(t, dir, "ai-advanced", newModule("AI Advanced", "prerequisites: [ai-basics]"))
	writeModule(t, dir, "broken-one", newModule("Broken").with("quiz.md", "## Q?\n\n- [x] a\n- [x] b\n"))
	// Depends on the broken module, which is not published: skipped too.
	writeModule(t, dir, "needs-broken", newModule("Needs broken", "prerequisites: [broken-one]"))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# not a module\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := New(storetest.SQLite(t), Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	got, err := s.ImportDir(context.Background(), dir, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ai-advanced":  "revision 1 new",
		"ai-basics":    "revision 1 new",
		"broken-one":   "broken-one/quiz.md:1: every choice is correct",
		"needs-broken": `needs-broken/module.md:5: unknown prerequisite "broken-one"`,
	}
	if len(got) != len(want) {
		t.Fatalf("imported %+v", got)
	}
	for _, r := range got {
		w := want[r.Slug]
		switch {
		case strings.HasPrefix(w, "revision"):
			if r.Revision != 1 || !r.Created || len(r.Problems) != 0 {
				t.Errorf("%s: %+v, want %s", r.Slug, r, w)
			}
		default:
			if r.Revision != 0 || len(r.Problems) == 0 {
				t.Fatalf("%s: %+v, want problem %s", r.Slug, r, w)
			}
			p := r.Problems[0]
			got := fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
			if !strings.HasPrefix(got, w) {
				t.Errorf("%s: first problem %q, want %q", r.Slug, got, w)
			}
			if !strings.Contains(logs.String(), r.Slug) {
				t.Errorf("problems of %s not logged", r.Slug)
			}
		}
	}
	for _, slug := range []string{"ai-basics", "ai-advanced"} {
		if _, err := s.Module(slug); err != nil {
			t.Errorf("%s not served: %v", slug, err)
		}
	}
	if _, err := s.Module("broken-one"); err == nil {
		t.Error("broken module served")
	}

	// A second replica starting on the same folder makes no new revision.
	again, err := New(s.db, Options{}).ImportDir(context.Background(), dir, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Created {
			t.Errorf("re-import created %s revision %d", r.Slug, r.Revision)
		}
	}
	if _, err := s.ImportDir(context.Background(), filepath.Join(dir, "missing"), ImportOptions{}); err == nil {
		t.Error("importing a missing folder did not fail")
	}
}
