package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Start-up imports the content folder: a broken module is logged and
// skipped, the others are served, and the start does not fail.
func TestOpenImportsContentDirSkippingBrokenModules(t *testing.T) {
	cfg := testConfig(t)
	cfg.ContentDir = t.TempDir()
	for p, text := range map[string]string{
		"ai-basics/module.md":            "---\ntitle: AI Basics\nsummary: The basics.\ntopics: [skills]\n---\n",
		"ai-basics/lessons/01-intro.md":  "# Intro\n\nHello.\n",
		"broken-one/module.md":           "---\ntitle: Broken\nsummary: Oops.\ntopics: [nope]\n---\n",
		"broken-one/lessons/01-intro.md": "# Intro\n",
	} {
		full := filepath.Join(cfg.ContentDir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if m, err := a.Catalog.Module("ai-basics"); err != nil || m.Revision != 1 {
		t.Errorf("ai-basics: %v, %v", m, err)
	}
	if _, err := a.Catalog.Module("broken-one"); err == nil {
		t.Error("the broken module is served")
	}
	if !strings.Contains(logs.String(), `broken-one/module.md:4: unknown topic \"nope\"`) {
		t.Errorf("the problem is not logged:\n%s", logs.String())
	}

	// A missing folder is logged, not fatal.
	cfg.ContentDir = filepath.Join(t.TempDir(), "missing")
	b, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("start with a missing content folder: %v", err)
	}
	b.Close()
}

// Start-up publishes content/policies too: the shipped AI acceptable-use
// policy becomes version 1, and starting again changes nothing.
func TestOpenImportsPolicies(t *testing.T) {
	cfg := testConfig(t)
	cfg.ContentDir = t.TempDir()
	src, err := os.ReadFile("../../content/policies/ai-acceptable-use.md")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.ContentDir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.ContentDir, "policies", "ai-acceptable-use.md"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		if err := a.DB.R.Table("policy_revisions").Where("slug = ?", "ai-acceptable-use").Pluck("version", &versions).Error; err != nil {
			t.Fatal(err)
		}
		a.Close()
		if len(versions) != 1 || versions[0] != 1 {
			t.Fatalf("policy versions after start: %v", versions)
		}
	}
}
