package content

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func mod(slug string, line int, pre ...string) *Module {
	return &Module{Slug: slug, Prerequisites: pre, prereqLine: line}
}

func TestValidateCatalog(t *testing.T) {
	tests := []struct {
		name  string
		mods  []*Module
		known map[string][]string
		want  []Problem
	}{
		{"ok", []*Module{mod("aaa", 5, "bbb"), mod("bbb", 1)}, nil, nil},
		{"published prerequisite", []*Module{mod("aaa", 5, "old")}, map[string][]string{"old": nil}, nil},
		{"unknown prerequisite", []*Module{mod("aaa", 5, "bbb", "zzz")}, map[string][]string{"bbb": nil},
			[]Problem{{"aaa/module.md", 5, `unknown prerequisite "zzz"`}}},
		{"cycle of two, reported once", []*Module{mod("aaa", 5, "bbb"), mod("bbb", 7, "aaa")}, nil,
			[]Problem{{"aaa/module.md", 5, "prerequisite cycle: aaa -> bbb -> aaa"}}},
		{"cycle through the published catalog", []*Module{mod("ccc", 6, "old")}, map[string][]string{"old": {"ccc"}},
			[]Problem{{"ccc/module.md", 6, "prerequisite cycle: ccc -> old -> ccc"}}},
		{"new revision breaks a published cycle", []*Module{mod("old", 6)}, map[string][]string{"old": {"ccc"}, "ccc": {"old"}}, nil},
		{"cycle of three", []*Module{mod("aaa", 2, "bbb"), mod("bbb", 3, "ccc"), mod("ccc", 4, "aaa")}, nil,
			[]Problem{{"aaa/module.md", 2, "prerequisite cycle: aaa -> bbb -> ccc -> aaa"}}},
		{"cycle among published only is not this load's problem", []*Module{mod("new", 2)},
			map[string][]string{"xxx": {"yyy"}, "yyy": {"xxx"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateCatalog(tt.mods, tt.known)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func writeModule(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	a := sample()
	a["module.md"] = keys("prerequisites: [ai-pilots]")
	writeModule(t, filepath.Join(dir, "working-with-ai"), a)
	b := sample()
	b["module.md"] = keys("prerequisites: [working-with-ai]")
	b["quiz.md"] = "## Q?\n\n- [x] a\n- [x] b\n"
	b[".DS_Store"] = "junk"
	writeModule(t, filepath.Join(dir, "ai-pilots"), b)
	writeModule(t, filepath.Join(dir, "drafts"), map[string]string{"notes.md": "not a module"})

	mods, probs := LoadDir(dir, Options{APIBase: "/api/v1"})
	want := []Problem{
		{"ai-pilots/quiz.md", 1, "every choice is correct: a question needs at least one wrong choice"},
		{"ai-pilots/module.md", 5, "prerequisite cycle: ai-pilots -> working-with-ai -> ai-pilots"},
	}
	if !reflect.DeepEqual(probs, want) {
		t.Errorf("got %v\nwant %v", probs, want)
	}
	if len(mods) != 2 || mods[0].Slug != "ai-pilots" || mods[1].Slug != "working-with-ai" {
		t.Errorf("modules: %v", mods)
	}
}

func TestDirAndUploadAgree(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir, sample())
	fromDisk, p1 := Parse(os.DirFS(dir), "working-with-ai", Options{APIBase: "/api/v1"})
	fromUpload, p2 := parseMap(t, "working-with-ai", sample())
	if len(p1)+len(p2) > 0 {
		t.Fatalf("problems: %v %v", p1, p2)
	}
	if !reflect.DeepEqual(fromDisk, fromUpload) {
		t.Errorf("folder and upload parse differently")
	}
}
