package content

import (
	"os"
	"strings"
	"testing"
)

func TestShippedPolicyParses(t *testing.T) {
	src, err := os.ReadFile("../../content/policies/ai-acceptable-use.md")
	if err != nil {
		t.Fatal(err)
	}
	p, probs := ParsePolicy("policies/ai-acceptable-use.md", "ai-acceptable-use", src, nil)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if p.Title == "" || p.Summary == "" || len(p.Departments) != 1 || !strings.Contains(p.HTML, "<table>") {
		t.Errorf("parsed %+v", p)
	}
	if !strings.HasPrefix(p.Hash, "sha256:") {
		t.Errorf("hash %q", p.Hash)
	}
}

func TestPolicyProblems(t *testing.T) {
	for _, tc := range []struct {
		name, slug, src string
		known           map[string]bool
		want            string
	}{
		{"no front matter", "ai-use", "Just text.\n", nil, "starts with front matter"},
		{"no title", "ai-use", "---\nsummary: S\n---\n\nText.\n", nil, `missing required key "title"`},
		{"no text", "ai-use", "---\ntitle: T\nsummary: S\n---\n\n", nil, "needs its text"},
		{"bad departments", "ai-use", "---\ntitle: T\nsummary: S\ndepartments: Marketing\n---\n\nText.\n", nil, "departments must list"},
		{"twice", "ai-use", "---\ntitle: T\nsummary: S\ndepartments: [Sales, sales]\n---\n\nText.\n", nil, "listed twice"},
		{"module slug", "ai-pilots", "---\ntitle: T\nsummary: S\n---\n\nText.\n", map[string]bool{"ai-pilots": true}, "one namespace"},
		{"reserved", "policies", "---\ntitle: T\nsummary: S\n---\n\nText.\n", nil, "must be 3-64"},
		{"unknown key", "ai-use", "---\ntitle: T\nsummary: S\nowner: x\n---\n\nText.\n", nil, "owner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ParsePolicy("policies/"+tc.slug+".md", tc.slug, []byte(tc.src), tc.known)
			var msgs []string
			for _, p := range probs {
				msgs = append(msgs, p.Message)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("problems %q, want one containing %q", msgs, tc.want)
			}
		})
	}
}

func TestLoadRootChecksPolicies(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(dir+"/policies", 0o755))
	must(os.MkdirAll(dir+"/pulses", 0o755))
	must(os.WriteFile(dir+"/policies/readiness.md", []byte("---\ntitle: T\nsummary: S\n---\n\nText.\n"), 0o644))
	must(os.WriteFile(dir+"/policies/broken.md", []byte("no front matter\n"), 0o644))
	must(os.WriteFile(dir+"/pulses/readiness.md", []byte("---\ntitle: P\nfor: [x]\n---\n\n## S {#s}\n"), 0o644))
	_, probs, _ := LoadRoot(dir, Options{})
	var got []string
	for _, p := range probs {
		if strings.HasPrefix(p.File, "policies/") {
			got = append(got, p.File+": "+p.Message)
		}
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "policies/broken.md") || !strings.Contains(joined, "policies/readiness.md") {
		t.Errorf("policy problems: %s", joined)
	}
}
