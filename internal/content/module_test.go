package content

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestParseValidModule(t *testing.T) {
	files := sample()
	files["module.md"] = keys("level: advanced", "pass_mark: 70", "max_attempts: 3", "valid_for: 2y", "prerequisites: [ai-basics]")
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if len(probs) > 0 {
		t.Fatal("unexpected problems")
	}
	if m.Title != "Working with AI" || m.Summary != "How teams get value from AI tools." ||
		strings.Join(m.Topics, ",") != "benefits,skills" || m.Level != "advanced" ||
		m.PassMark != 70 || m.MaxAttempts != 3 || m.ValidFor != "2y" || m.ValidForDays != 730 ||
		strings.Join(m.Prerequisites, ",") != "ai-basics" || m.prereqLine != 9 {
		t.Errorf("front matter read wrongly: %+v", m)
	}
	if len(m.Lessons) != 2 || m.Lessons[0].Slug != "why-ai" || m.Lessons[0].Title != "Why AI" ||
		m.Lessons[1].Number != 2 || m.Lessons[1].Slug != "risks" {
		t.Errorf("lessons: %+v", m.Lessons)
	}
	if a := m.Assets["assets/chart.png"]; a.ContentType != "image/png" || string(a.Data) != pngBytes {
		t.Errorf("asset: %+v", a)
	}
	if m.Quiz == nil || len(m.Quiz.Questions) != 1 || !m.Quiz.Shuffle || m.Quiz.Reveal != "after_submit" {
		t.Errorf("quiz: %+v", m.Quiz)
	}
	if len(m.Files) != 5 || len(m.Hash) != 64 {
		t.Errorf("files %d, hash %q", len(m.Files), m.Hash)
	}
}

func TestDefaults(t *testing.T) {
	files := sample()
	delete(files, "quiz.md")
	m, probs := parseMap(t, "working-with-ai", files)
	logProblems(t, probs)
	if m.Level != "beginner" || m.PassMark != 80 || m.MaxAttempts != 0 || m.ValidFor != "" ||
		m.ValidForDays != 0 || m.Quiz != nil || m.Prerequisites != nil {
		t.Errorf("defaults: %+v", m)
	}
	if m.ExpiresAt(time.Now()) != nil {
		t.Error("a module without valid_for must not expire")
	}
}

func TestValidFor(t *testing.T) {
	issued := time.Date(2024, 2, 29, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		days int
		exp  time.Time
	}{
		{"365d", 365, time.Date(2025, 2, 28, 9, 30, 0, 0, time.UTC)},
		{"1d", 1, time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)},
		{"12mo", 365, time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)}, // 29 Feb 2025 normalises
		{"6mo", 183, time.Date(2024, 8, 29, 9, 30, 0, 0, time.UTC)},
		{"1mo", 30, time.Date(2024, 3, 29, 9, 30, 0, 0, time.UTC)},
		{"2y", 730, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		days, ok := validDays(tt.in)
		if !ok || days != tt.days {
			t.Errorf("%s: %d days, want %d", tt.in, days, tt.days)
		}
		m := &Module{ValidFor: tt.in}
		if got := m.ExpiresAt(issued); got == nil || !got.Equal(tt.exp) {
			t.Errorf("%s: expires %v, want %v", tt.in, got, tt.exp)
		}
	}
	for _, bad := range []string{"", "0d", "01d", "1w", "1m", "d", "1 d", "-1d", "1D", "36501d"} {
		if _, ok := validDays(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHash(t *testing.T) {
	a := hashFiles(map[string][]byte{"a": []byte("bc"), "d": nil})
	b := hashFiles(map[string][]byte{"d": nil, "a": []byte("bc")})
	if a != b {
		t.Error("hash depends on map order")
	}
	// Length prefixes keep a path and content boundary from moving.
	if hashFiles(map[string][]byte{"ab": []byte("c")}) == hashFiles(map[string][]byte{"a": []byte("bc")}) {
		t.Error("hash is ambiguous")
	}
	m1, _ := parseMap(t, "working-with-ai", sample())
	m2, _ := parseMap(t, "working-with-ai", sample())
	if m1.Hash != m2.Hash {
		t.Error("same files, different hash")
	}
	files := sample()
	files["lessons/02-risks.md"] += " "
	if m3, _ := parseMap(t, "working-with-ai", files); m3.Hash == m1.Hash {
		t.Error("changed file, same hash")
	}
}

func TestValidSlug(t *testing.T) {
	for _, ok := range []string{"abc", "ai-basics", "ai-101", "a1b", strings.Repeat("a", 64)} {
		if !ValidSlug(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"", "ab", "AI", "ai--x", "-ai", "ai-", "ai_x", "ai x", "ai.x", "ai/x", "ái-x", strings.Repeat("a", 65)} {
		if ValidSlug(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckUploadPath(t *testing.T) {
	for _, ok := range []string{"module.md", "quiz.md", "lessons/01-intro.md", "lessons/notes.md",
		"assets/logo.png", "assets/photo.JPG", "assets/a.jpeg", "assets/b.gif", "assets/c.webp"} {
		if err := CheckUploadPath(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/module.md", "../module.md", "lessons/../module.md", "./module.md",
		"lessons//01-a.md", `lessons\01-a.md`, "lessons/", "README.md", "lessons/01-a.txt",
		"lessons/sub/01-a.md", "assets/x.svg", "assets/x.png/y", "assets/.hidden.png", "notes/x.md",
		"module.md/", "quiz.md/x"} {
		err := CheckUploadPath(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if bad != "" && !strings.Contains(err.Error(), bad) && !strings.Contains(err.Error(), strings.ReplaceAll(bad, `\`, `\\`)) {
			t.Errorf("%q: message does not name the file: %v", bad, err)
		}
	}
}

func TestFilesFS(t *testing.T) {
	raw := map[string][]byte{}
	for p, s := range sample() {
		raw[p] = []byte(s)
	}
	fsys := FilesFS(raw)
	if err := fstest.TestFS(fsys, "module.md", "quiz.md", "lessons/01-why-ai.md", "lessons/02-risks.md", "assets/chart.png"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("../x"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("open ../x: %v", err)
	}
}

// TestParseConcurrently shares the renderer and the sanitiser policy
// between goroutines, as the server does; run with -race.
func TestParseConcurrently(t *testing.T) {
	done := make(chan string)
	for range 4 {
		go func() {
			m, _ := parseMap(t, "working-with-ai", sample())
			done <- m.Lessons[1].HTML
		}()
	}
	first := <-done
	for range 3 {
		if got := <-done; got != first {
			t.Errorf("concurrent parses differ:\n%s\n%s", first, got)
		}
	}
}
