package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/store"
)

// writeFiles writes path -> text under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func goodModule(slug, title string) map[string]string {
	return map[string]string{
		slug + "/module.md":           "---\ntitle: " + title + "\nsummary: About " + title + ".\ntopics: [skills]\n---\n\nHello.\n",
		slug + "/lessons/01-intro.md": "# Intro\n\nText.\n",
	}
}

var problemLine = regexp.MustCompile(`^[^:\s]+:\d+: \S.*$`)

func TestContentLint(t *testing.T) {
	env := testEnv(t)
	t.Run("starter curriculum", func(t *testing.T) {
		code, out, errs := runCLI(t, env, "content", "lint", filepath.Join("..", "..", "content"))
		if code != 0 || !strings.Contains(out, " modules, no problems") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
	})
	t.Run("clean", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
		writeFiles(t, dir, goodModule("ai-more", "AI More"))
		code, out, _ := runCLI(t, env, "content", "lint", dir)
		if code != 0 || out != "2 modules, no problems\n" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
	})
	t.Run("problems", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
		writeFiles(t, dir, map[string]string{
			"zz-broken/module.md":           "---\ntitle: Broken\nsummary: x\ntopics: [skils]\nprerequisites: [missing-one]\n---\n",
			"zz-broken/lessons/01-intro.md": "No title here, and [a broken link](02-nope.md).\n",
			"zz-broken/quiz.md":             "## Q?\n\n- [ ] a\n- [ ] b\n",
			"aa-broken/module.md":           "---\ntitle: Also broken\n---\n",
			"aa-broken/lessons/01-x.md":     "# X\n",
		})
		code, out, errs := runCLI(t, env, "content", "lint", dir)
		if code != 1 {
			t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for _, l := range lines {
			if !problemLine.MatchString(l) {
				t.Errorf("line %q is not file:line: message", l)
			}
		}
		if !slices.IsSortedFunc(lines, func(a, b string) int { return strings.Compare(strings.Split(a, ":")[0], strings.Split(b, ":")[0]) }) {
			t.Errorf("problems are not sorted by file:\n%s", out)
		}
		for _, want := range []string{
			`zz-broken/module.md:4: unknown topic "skils"`,
			`zz-broken/module.md:5: unknown prerequisite "missing-one"`,
			"zz-broken/lessons/01-intro.md:0: lesson has no title",
			"zz-broken/lessons/01-intro.md:1: broken link: 02-nope.md",
			"zz-broken/quiz.md:",
			`aa-broken/module.md:1: missing required key "summary"`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(errs, "3 modules") {
			t.Errorf("stderr %q lacks the count", errs)
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		if code, _, errs := runCLI(t, env, "content", "lint", filepath.Join(t.TempDir(), "nope")); code != 1 || !strings.Contains(errs, "does not exist") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("no modules", func(t *testing.T) {
		if code, _, errs := runCLI(t, env, "content", "lint", t.TempDir()); code != 1 || !strings.Contains(errs, "no modules") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
}

// The scaffold is valid, so it can be previewed, but its TODO text warns
// until it is replaced, and --strict fails on it.
func TestContentNewScaffoldWarnsUntilFilledIn(t *testing.T) {
	env := testEnv(t)
	dir := filepath.Join(t.TempDir(), "modules")
	code, out, errs := runCLI(t, env, "content", "new", "prompt-basics", "--dir", dir)
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, f := range []string{"module.md", "lessons/01-introduction.md", "quiz.md"} {
		if _, err := os.Stat(filepath.Join(dir, "prompt-basics", f)); err != nil {
			t.Errorf("scaffold lacks %s", f)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "prompt-basics", "module.md"))
	for _, key := range []string{"title:", "summary:", "topics:", "level:", "minutes:", "pass_mark:", "max_attempts:", "valid_for:", "prerequisites:"} {
		if !strings.Contains(string(md), key) {
			t.Errorf("module.md does not document %s", key)
		}
	}
	quiz, _ := os.ReadFile(filepath.Join(dir, "prompt-basics", "quiz.md"))
	if n := strings.Count(string(quiz), "- [x]"); n != 3 {
		t.Errorf("quiz has %d correct choices, want 1 + 2 (a single and a multiple-answer question)", n)
	}
	code, out, errs = runCLI(t, env, "content", "lint", dir)
	if code != 0 || !strings.Contains(out, "prompt-basics/module.md:6: warning: leftover TODO text") ||
		!strings.Contains(out, "1 module, no problems, ") {
		t.Fatalf("scaffold lint: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, env, "content", "lint", "--strict", dir); code != 1 || !strings.Contains(errs, "--strict fails on warnings") {
		t.Fatalf("scaffold lint --strict: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, _, errs := runCLI(t, env, "content", "new", "prompt-basics", "--dir", dir); code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("second new: exit %d, stderr %q", code, errs)
	}
	for _, bad := range []string{"Prompt Basics", "ab", "bad--slug", "../escape"} {
		if code, _, _ := runCLI(t, env, "content", "new", bad, "--dir", dir); code == 0 {
			t.Errorf("content new %q succeeded", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Error("content new wrote outside --dir")
	}
}

// A module folder can be linted on its own, its prerequisites resolved
// against the modules beside it; the reserved folders of the content root
// are not modules, and pulses and policies are checked.
func TestContentLintFolders(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
	more := goodModule("ai-more", "AI More")
	more["ai-more/module.md"] = strings.Replace(more["ai-more/module.md"], "topics: [skills]", "topics: [skills]\nprerequisites: [ai-basics]", 1)
	writeFiles(t, dir, more)
	writeFiles(t, dir, map[string]string{
		"README.md":                 "# Our modules\n",
		"SOURCES.md":                "# Sources\n",
		"paths/starter.md":          "---\ntitle: Starter\nsummary: s\nmodules: [ai-basics]\n---\n",
		"policies/ai-use.md":        "---\ntitle: AI use\nsummary: s\n---\n\nUse approved tools.\n",
		"pulses/readiness.md":       "---\ntitle: Readiness\nfor: [ai-basics, starter]\n---\n\n## I know where AI helps {#where}\n\n## I can check its output {#check}\n",
		"Draft-mod/Module.md":       "---\ntitle: x\n---\n",
		"Draft-mod/lessons/01-a.md": "# A\n",
	})
	code, out, errs := runCLI(t, env, "content", "lint", dir)
	if code != 1 || !strings.Contains(out, "Draft-mod:0: folder holds Module.md but no module.md") || strings.Count(out, "\n") != 1 {
		t.Fatalf("root with a misnamed module file: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if err := os.RemoveAll(filepath.Join(dir, "Draft-mod")); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, env, "content", "lint", dir); code != 0 || out != "2 modules, no problems\n" {
		t.Fatalf("root: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, env, "content", "lint", filepath.Join(dir, "ai-more")); code != 0 || out != "1 module, no problems\n" {
		t.Fatalf("one module folder: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	writeFiles(t, dir, map[string]string{"pulses/readiness.md": "---\ntitle: Readiness\nfor: [nope]\n---\n\n## Twice {#a}\n\n## Again {#a}\n\n## No id\n"})
	code, out, _ = runCLI(t, env, "content", "lint", dir)
	for _, want := range []string{`pulses/readiness.md:3: for names "nope"`, `pulses/readiness.md:8: statement id "a" is used twice`, "pulses/readiness.md:10: a statement needs a stable id"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("bad pulse: exit %d, stdout lacks %q:\n%s", code, want, out)
		}
	}
}

func TestContentImport(t *testing.T) {
	env := migratedEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
	writeFiles(t, dir, goodModule("ai-more", "AI More"))
	code, out, errs := runCLI(t, env, "content", "import", dir)
	if code != 0 || out != "ai-basics: revision 1 (new)\nai-more: revision 1 (new)\n" {
		t.Fatalf("first import: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	writeFiles(t, dir, map[string]string{"ai-more/lessons/01-intro.md": "# Intro\n\nChanged.\n"})
	writeFiles(t, dir, map[string]string{"broken-one/module.md": "---\ntitle: B\nsummary: b\ntopics: [nope]\n---\n", "broken-one/lessons/01-a.md": "# A\n"})
	code, out, errs = runCLI(t, env, "content", "import", dir)
	if code != 1 || out != "ai-basics: revision 1 (unchanged)\nai-more: revision 2 (new)\nbroken-one: not published (1 problem)\n" ||
		!strings.Contains(errs, `broken-one/module.md:4: unknown topic "nope"`) {
		t.Fatalf("second import: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// The folder defaults to the content dir setting.
	code, out, _ = runCLI(t, testEnvWith(env, "UPSKILL_CONTENT_DIR", filepath.Join(dir, "none")), "content", "import")
	if code != 1 {
		t.Errorf("import of a missing UPSKILL_CONTENT_DIR: exit %d, stdout %q", code, out)
	}
}

// The import keeps a revision published through the API, says so, and
// publishes the folder over it only with --force.
func TestContentImportKeepsAPIRevisions(t *testing.T) {
	env := migratedEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
	if code, out, errs := runCLI(t, env, "content", "import", dir); code != 0 {
		t.Fatalf("first import: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	db, err := store.Open(context.Background(), filepath.Join(env("UPSKILL_DATA_DIR"), "upskill.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	online := map[string][]byte{}
	for p, text := range goodModule("ai-basics", "AI Basics, edited online") {
		online[strings.TrimPrefix(p, "ai-basics/")] = []byte(text)
	}
	_, err = catalog.New(db, catalog.Options{}).PublishUpload(context.Background(), "ai-basics", online, "00000000-0000-4000-8000-000000000001")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, env, "content", "import", dir)
	if code != 0 || !strings.Contains(out, "ai-basics: kept revision 2, published through the API after revision 1 was imported") {
		t.Fatalf("import over an API revision: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, env, "content", "import", "--force", dir); code != 0 || out != "ai-basics: revision 3 (new)\n" {
		t.Fatalf("forced import: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// testEnvWith overrides one variable of getenv.
func testEnvWith(getenv func(string) string, key, value string) func(string) string {
	return func(k string) string {
		if k == key {
			return value
		}
		return getenv(k)
	}
}

func TestContentHelp(t *testing.T) {
	env := testEnv(t)
	for _, args := range [][]string{{"content", "--help"}, {"content", "lint", "--help"}, {"content", "import", "--help"}, {"content", "new", "--help"}} {
		if code, out, errs := runCLI(t, env, args...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
		}
	}
	if code, _, _ := runCLI(t, env, "content"); code != 2 {
		t.Errorf("content without a command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, env, "content", "lint", "a", "b"); code != 2 {
		t.Errorf("content lint a b: exit %d, want 2", code)
	}
}

// Paths and pulses are linted with the modules and published by the
// import, paths first; one with problems is reported and not published.
func TestContentImportPathsAndPulses(t *testing.T) {
	env := migratedEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
	writeFiles(t, dir, map[string]string{
		"paths/starter.md":    "---\ntitle: Starter\nsummary: s\nmodules: [ai-basics]\nvalid_for: 1y\n---\n\nBegin here.\n",
		"paths/broken.md":     "---\ntitle: Broken\nsummary: s\nmodules: [ai-basics, missing-one, ai-basics]\n---\n",
		"pulses/readiness.md": "---\ntitle: Readiness\nfor: [starter]\n---\n\n## I know where AI helps {#where}\n",
	})
	code, out, _ := runCLI(t, env, "content", "lint", dir)
	for _, want := range []string{`paths/broken.md:4: modules names "missing-one", which is no module here`, `paths/broken.md:4: modules names "ai-basics" twice`} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("lint: exit %d, stdout lacks %q:\n%s", code, want, out)
		}
	}
	code, out, errs := runCLI(t, env, "content", "import", dir)
	for _, want := range []string{"ai-basics: revision 1 (new)", "paths/starter: revision 1 (new)", "pulses/readiness: revision 1 (new)", "paths/broken: not published (2 problems)"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("import: exit %d, stdout lacks %q:\n%s\n%s", code, want, out, errs)
		}
	}
	if err := os.Remove(filepath.Join(dir, "paths", "broken.md")); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, env, "content", "import", dir)
	if code != 0 || !strings.Contains(out, "paths/starter: revision 1 (unchanged)") {
		t.Errorf("second import: exit %d\n%s", code, out)
	}
}
