package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func TestPublishMakesRevisionsOnlyForChangedContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := New(db, Options{})
		first := publish(t, s, "ai-ethics", newModule("AI Ethics"))
		if !first.Created || first.Revision != 1 || len(first.Hash) != 64 {
			t.Fatalf("first publish = %+v, want revision 1 created", first)
		}
		again := publish(t, s, "ai-ethics", newModule("AI Ethics"))
		if again.Created || again.Revision != 1 || again.Hash != first.Hash {
			t.Fatalf("unchanged publish = %+v, want revision 1 not created", again)
		}
		changed := publish(t, s, "ai-ethics", newModule("AI Ethics, revised"))
		if !changed.Created || changed.Revision != 2 {
			t.Fatalf("changed publish = %+v, want revision 2 created", changed)
		}
		m, err := s.Module("ai-ethics")
		if err != nil || m.Revision != 2 || m.Title != "AI Ethics, revised" || m.PublishedAt.IsZero() {
			t.Fatalf("Module = %+v, %v", m, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM module_revisions WHERE slug = ?", "ai-ethics"); n != 2 {
			t.Errorf("%d revisions stored, want 2", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM module_revision_files f JOIN module_revisions r ON r.id = f.revision_id WHERE r.revision = 2"); n != 5 {
			t.Errorf("revision 2 has %d files stored, want 5", n)
		}
		if n := count(t, db, "SELECT current_revision FROM modules WHERE slug = ?", "ai-ethics"); n != 2 {
			t.Errorf("current revision %d, want 2", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_events WHERE action = 'content.published' AND target = 'ai-ethics'"); n != 2 {
			t.Errorf("%d content.published events, want 2 (one per new revision)", n)
		}
	})
}

func TestPublishRefusesInvalidModuleAndChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := New(db, Options{})
		publish(t, s, "ai-ethics", newModule("AI Ethics"))
		cases := []struct {
			name      string
			files     files
			wantFile  string
			wantLine  int
			wantInMsg string
		}{
			{"unknown topic", newModule("AI Ethics").with("module.md", "---\ntitle: X\nsummary: Y\ntopics: [ethic]\n---\n"),
				"module.md", 4, "unknown topic"},
			{"quiz without a correct choice", newModule("AI Ethics").with("quiz.md", "## Q?\n\n- [ ] a\n- [ ] b\n"),
				"quiz.md", 1, "no correct choice"},
			{"unknown prerequisite", newModule("AI Ethics", "prerequisites: [no-such-module]"),
				"module.md", 5, `unknown prerequisite "no-such-module"`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m, _ := s.CheckUpload("ai-ethics", tc.files)
				_, err := s.Publish(context.Background(), m, "")
				if !fault.Is(err, fault.Invalid) {
					t.Fatalf("err = %v, want Invalid", err)
				}
				probs := ProblemsOf(err)
				if !slices.ContainsFunc(probs, func(p contentProblem) bool {
					return p.File == tc.wantFile && p.Line == tc.wantLine && strings.Contains(p.Message, tc.wantInMsg)
				}) {
					t.Fatalf("problems %+v lack %s:%d: %s", probs, tc.wantFile, tc.wantLine, tc.wantInMsg)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM module_revisions"); n != 1 {
					t.Errorf("%d revisions after a refused publish, want 1", n)
				}
				if m, _ := s.Module("ai-ethics"); m.Revision != 1 || m.Title != "AI Ethics" {
					t.Errorf("served module changed to %+v", m)
				}
			})
		}
	})
}

func TestPublishChecksPrerequisitesAgainstTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Another replica publishes the prerequisite; this one has not
		// refreshed yet, and still accepts the module that needs it.
		other, s := New(db, Options{}), New(db, Options{})
		publish(t, other, "ai-basics", newModule("AI Basics"))
		m, _ := s.CheckUpload("ai-pilots", newModule("AI Pilots", "prerequisites: [ai-basics]"))
		res, err := s.Publish(context.Background(), m, "")
		if err != nil || !res.Created {
			t.Fatalf("publish with a prerequisite published elsewhere = %+v, %v", res, err)
		}
		// A cycle through the published catalog is refused.
		m, _ = s.CheckUpload("ai-basics", newModule("AI Basics", "prerequisites: [ai-pilots]"))
		_, err = s.Publish(context.Background(), m, "")
		if probs := ProblemsOf(err); len(probs) != 1 || !strings.Contains(probs[0].Message, "prerequisite cycle: ai-basics -> ai-pilots -> ai-basics") || probs[0].File != "module.md" {
			t.Fatalf("cycle: err %v, problems %+v", err, probs)
		}
	})
}

func TestConcurrentPublishOfDifferentContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Two services stand for two replicas sharing the database.
		replicas := []*Service{New(db, Options{}), New(db, Options{})}
		results := make([]PublishResult, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			s := replicas[i%2]
			m := parsed(t, s, "ai-ethics", newModule(fmt.Sprintf("AI Ethics %d", i)))
			wg.Go(func() { results[i], errs[i] = s.Publish(context.Background(), m, "") })
		}
		wg.Wait()
		var revs []int
		for i := range 8 {
			if errs[i] != nil || !results[i].Created {
				t.Fatalf("publish %d = %+v, %v", i, results[i], errs[i])
			}
			revs = append(revs, results[i].Revision)
		}
		slices.Sort(revs)
		if !slices.Equal(revs, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
			t.Fatalf("revisions %v, want 1..8 each once", revs)
		}
		if n := count(t, db, "SELECT current_revision FROM modules WHERE slug = 'ai-ethics'"); n != 8 {
			t.Errorf("current revision %d, want 8", n)
		}
		for _, s := range replicas {
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if m, _ := s.Module("ai-ethics"); m.Revision != 8 {
				t.Errorf("a replica serves revision %d, want 8", m.Revision)
			}
		}
	})
}

func TestConcurrentPublishOfIdenticalContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		replicas := []*Service{New(db, Options{}), New(db, Options{})}
		results := make([]PublishResult, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			s := replicas[i%2]
			m := parsed(t, s, "ai-ethics", newModule("AI Ethics"))
			wg.Go(func() { results[i], errs[i] = s.Publish(context.Background(), m, "") })
		}
		wg.Wait()
		created := 0
		for i := range 8 {
			if errs[i] != nil || results[i].Revision != 1 {
				t.Fatalf("publish %d = %+v, %v", i, results[i], errs[i])
			}
			if results[i].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d publishes created a revision, want exactly 1", created)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM module_revisions"); n != 1 {
			t.Errorf("%d revisions, want 1", n)
		}
	})
}

func TestCheckUploadRefusesPathsOutsideTheModule(t *testing.T) {
	s := New(storetest.SQLite(t), Options{})
	for _, name := range []string{"../x.md", "/etc/passwd", `lessons\x.md`, "assets/../../x", "other/x.md", "lessons/../../x.md", ""} {
		t.Run(name, func(t *testing.T) {
			_, probs := s.CheckUpload("ai-ethics", newModule("AI Ethics").with(name, "# Sneaky\n"))
			if !slices.ContainsFunc(probs, func(p contentProblem) bool { return p.File == name }) {
				t.Fatalf("problems %+v do not name %q", probs, name)
			}
			_, err := s.PublishUpload(context.Background(), "ai-ethics", newModule("AI Ethics").with(name, "# Sneaky\n"), "")
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("PublishUpload err = %v, want Invalid", err)
			}
		})
	}
	if n := count(t, s.db, "SELECT COUNT(*) FROM module_revisions"); n != 0 {
		t.Errorf("%d revisions stored from refused uploads", n)
	}
}
