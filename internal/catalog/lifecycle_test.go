package catalog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// A restart never silently undoes a publish made through the API: the
// import keeps that revision and names both, until --force.
func TestImportKeepsRevisionsPublishedThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		writeModule(t, dir, "ai-basics", newModule("AI Basics"))
		var logs bytes.Buffer
		s := New(db, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if got, err := s.ImportDir(ctx, dir, ImportOptions{}); err != nil || got[0].Revision != 1 {
			t.Fatalf("first import: %+v, %v", got, err)
		}
		actor := "00000000-0000-4000-8000-000000000001" // a trainer
		api := newModule("AI Basics, edited online")
		if _, err := s.PublishUpload(ctx, "ai-basics", api, actor); err != nil {
			t.Fatal(err)
		}
		// The restart: the folder did not change, and neither did it
		// after the trainer's edit; either way revision 2 stays.
		for _, folder := range []files{newModule("AI Basics"), newModule("AI Basics, edited in the folder")} {
			writeModule(t, dir, "ai-basics", folder)
			got, err := New(db, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))}).ImportDir(ctx, dir, ImportOptions{})
			if err != nil || got[0].Kept != 2 || got[0].LastImported != 1 || got[0].Revision != 0 {
				t.Fatalf("import over an API revision: %+v, %v", got, err)
			}
			if m, _ := New(db, Options{}).current(t, ctx, "ai-basics"); m.Title != "AI Basics, edited online" {
				t.Fatalf("the API's revision was replaced by %q", m.Title)
			}
		}
		if !strings.Contains(logs.String(), "api_revision=2 last_imported_revision=1") {
			t.Errorf("no warning naming both revisions:\n%s", logs.String())
		}
		got, err := s.ImportDir(ctx, dir, ImportOptions{Force: true})
		if err != nil || got[0].Revision != 3 || !got[0].Created {
			t.Fatalf("forced import: %+v, %v", got, err)
		}
		// Now the newest revision is the import's: a changed folder goes in.
		writeModule(t, dir, "ai-basics", newModule("AI Basics, third edit"))
		if got, err := s.ImportDir(ctx, dir, ImportOptions{}); err != nil || got[0].Revision != 4 {
			t.Fatalf("import after a forced one: %+v, %v", got, err)
		}
	})
}

// current is what a freshly started replica serves.
func (s *Service) current(t *testing.T, ctx context.Context, slug string) (*Published, error) {
	t.Helper()
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return s.Lookup(slug)
}

func TestArchiveHidesAModuleAndKeepsItsRevisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, other := New(db, Options{}), New(db, Options{})
		publish(t, s, "ai-basics", newModule("AI Basics"))
		publish(t, s, "ai-ethics", newModule("AI Ethics"))
		p, err := s.SetArchived(ctx, "ai-basics", true, "")
		if err != nil || !p.Archived || p.Revision != 1 {
			t.Fatalf("archive: %+v, %v", p, err)
		}
		list, _, _ := s.List(Filter{}, page.Request{Limit: 50})
		if got := slugs(list); len(got) != 1 || got[0] != "ai-ethics" {
			t.Errorf("catalogue after archiving: %v", got)
		}
		if _, err := s.Module("ai-basics"); !fault.Is(err, fault.NotFound) {
			t.Errorf("an archived module can still be opened: %v", err)
		}
		if len(s.All()) != 2 {
			t.Error("All leaves out the archived module, which reports still need")
		}
		// Another replica learns of it on refresh, without a new revision.
		if p, _ := other.current(t, ctx, "ai-basics"); p == nil || !p.Archived {
			t.Errorf("other replica: %+v", p)
		}
		// Publishing again keeps it archived; unarchiving brings it back.
		publish(t, s, "ai-basics", newModule("AI Basics 2"))
		if p, _ := s.Lookup("ai-basics"); !p.Archived || p.Revision != 2 {
			t.Errorf("after a publish: %+v", p)
		}
		if p, err := s.SetArchived(ctx, "ai-basics", false, ""); err != nil || p.Archived {
			t.Fatalf("unarchive: %+v, %v", p, err)
		}
		if _, err := s.Module("ai-basics"); err != nil {
			t.Error(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_events WHERE action IN ('module.archived', 'module.unarchived') AND target = 'ai-basics'"); n != 2 {
			t.Errorf("%d audit events, want 2", n)
		}
		if _, err := s.SetArchived(ctx, "no-such", true, ""); !fault.Is(err, fault.NotFound) {
			t.Errorf("archive of an unknown module: %v", err)
		}
	})
}

// An image of a past revision comes from its stored files: no revision is
// parsed for a public asset request.
func TestPastAssetsServedWithoutParsing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, Options{})
		first := publish(t, s, "ai-basics", newModule("AI Basics"))
		old := newModule("AI Basics")["assets/chart.png"]
		publish(t, s, "ai-basics", newModule("AI Basics 2").with("assets/chart.png", string(append(pngBytes(), 0))))
		parses := countParses(t)
		a, exact, err := s.Asset(ctx, "ai-basics", "chart.png", first.Hash[:12])
		if err != nil || !exact || !bytes.Equal(a.Data, old) || a.ContentType != "image/png" {
			t.Fatalf("past asset: %v %v %v", a.ContentType, exact, err)
		}
		if _, _, err := s.Asset(ctx, "ai-basics", "nope.png", first.Hash[:12]); !fault.Is(err, fault.NotFound) {
			t.Errorf("unknown past asset: %v", err)
		}
		if n := parses(); n != 0 {
			t.Errorf("%d parses for past assets, want 0", n)
		}
	})
}

// A refresh parses without holding the catalog's lock: a publish in this
// process goes through while another replica's module is being parsed.
func TestRefreshDoesNotHoldTheLockWhileParsing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := New(db, Options{}), New(db, Options{})
		publish(t, a, "slow-one", newModule("Slow one"))
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		testParseHook = func(slug string) {
			if slug == "slow-one" {
				once.Do(func() { close(entered); <-release })
			}
		}
		t.Cleanup(func() { testParseHook = nil })
		done := make(chan error, 1)
		go func() { done <- b.Refresh(ctx) }()
		<-entered
		published := make(chan struct{})
		go func() {
			publish(t, b, "quick-one", newModule("Quick one"))
			close(published)
		}()
		select {
		case <-published:
		case <-time.After(30 * time.Second): // a guard against a hang, not a measure
			t.Fatal("publish waited for the parse of another module")
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"slow-one", "quick-one"} {
			if _, err := b.Module(slug); err != nil {
				t.Error(err)
			}
		}
	})
}

// countParses counts stored revisions parsed from now on.
func countParses(t *testing.T) func() int {
	t.Helper()
	var mu sync.Mutex
	n := 0
	testParseHook = func(string) { mu.Lock(); n++; mu.Unlock() }
	t.Cleanup(func() { testParseHook = nil })
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}
