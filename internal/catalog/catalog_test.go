package catalog

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func slugs(ps []*Published) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Slug)
	}
	return out
}

func TestListFiltersSortsAndPages(t *testing.T) {
	s := New(storetest.SQLite(t), Options{})
	publish(t, s, "privacy-basics", newModule("Privacy basics").with("module.md",
		"---\ntitle: Privacy basics\nsummary: Customer data and consent.\ntopics: [privacy]\n---\n"))
	publish(t, s, "ai-ethics", newModule("AI Ethics"))
	publish(t, s, "bias-101", newModule("bias in targeting"))
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all, by title ignoring case", Filter{}, []string{"ai-ethics", "bias-101", "privacy-basics"}},
		{"topic", Filter{Topic: "privacy"}, []string{"privacy-basics"}},
		{"query in summary", Filter{Query: "CONSENT"}, []string{"privacy-basics"}},
		{"every query word", Filter{Query: "bias targeting"}, []string{"bias-101"}},
		{"query in slug", Filter{Query: "101"}, []string{"bias-101"}},
		{"nothing", Filter{Topic: "roi"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := s.List(tc.f, page.Request{Limit: 50})
			if err != nil || next != "" || !slices.Equal(slugs(got), tc.want) {
				t.Fatalf("List = %v, %q, %v; want %v", slugs(got), next, err, tc.want)
			}
		})
	}
	// Pages of one.
	var seen []string
	p := page.Request{Limit: 1}
	for range 4 {
		got, next, err := s.List(Filter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, slugs(got)...)
		if next == "" {
			break
		}
		p, _ = page.Parse("1", next)
	}
	if !slices.Equal(seen, []string{"ai-ethics", "bias-101", "privacy-basics"}) {
		t.Errorf("paged through %v", seen)
	}
	_, _, err := s.List(Filter{Topic: "astrology"}, page.Request{Limit: 50})
	if e := fault.As(err); e.Code != fault.BadRequest || len(e.Fields) != 1 || e.Fields[0].Field != "topic" {
		t.Errorf("unknown topic: %#v", err)
	}
	if _, err := s.Module("nope"); !fault.Is(err, fault.NotFound) {
		t.Errorf("unknown module: %v", err)
	}
}

func TestRefreshPicksUpAnotherReplicasPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := New(db, Options{}), New(db, Options{})
		publish(t, a, "ai-ethics", newModule("AI Ethics"))
		if _, err := b.Module("ai-ethics"); !fault.Is(err, fault.NotFound) {
			t.Fatalf("b knows the module before refreshing: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.Watch(ctx, 10*time.Millisecond)
		waitFor(t, func() bool { m, err := b.Module("ai-ethics"); return err == nil && m.Revision == 1 })
		publish(t, a, "ai-ethics", newModule("AI Ethics 2"))
		waitFor(t, func() bool { m, err := b.Module("ai-ethics"); return err == nil && m.Revision == 2 })
		m, _ := b.Module("ai-ethics")
		if m.Title != "AI Ethics 2" || len(m.Lessons) != 2 || m.Quiz == nil || len(m.Assets) != 1 {
			t.Errorf("b serves %+v", m)
		}
		// An unchanged catalog keeps the very same snapshot.
		before := b.snap.Load()
		if err := b.Refresh(context.Background()); err != nil || b.snap.Load() != before {
			t.Errorf("refresh of an unchanged catalog rebuilt the snapshot (err %v)", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRevisionLoadsPastRevisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := New(db, Options{})
		publish(t, s, "ai-ethics", newModule("AI Ethics"))
		publish(t, s, "ai-ethics", newModule("AI Ethics 2"))
		ctx := context.Background()
		old, err := s.Revision(ctx, "ai-ethics", 1)
		if err != nil || old.Title != "AI Ethics" || len(old.Lessons) != 2 {
			t.Fatalf("revision 1 = %+v, %v", old, err)
		}
		if again, _ := s.Revision(ctx, "ai-ethics", 1); again != old {
			t.Error("a past revision was parsed twice")
		}
		cur, _ := s.Module("ai-ethics")
		if m, _ := s.Revision(ctx, "ai-ethics", 2); m != cur.Module {
			t.Error("the current revision was not served from the snapshot")
		}
		if _, err := s.Revision(ctx, "ai-ethics", 3); !fault.Is(err, fault.NotFound) {
			t.Errorf("revision 3: %v", err)
		}
		// A new service, as after a restart, rebuilds the same catalog.
		fresh := New(db, Options{})
		if err := fresh.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		m, err := fresh.Module("ai-ethics")
		if err != nil || m.Revision != 2 || m.Hash != cur.Hash || m.Lessons[0].HTML != cur.Lessons[0].HTML || !m.PublishedAt.Equal(cur.PublishedAt) {
			t.Errorf("after restart: %+v, %v", m, err)
		}
	})
}

// On PostgreSQL a publish on one replica reaches another through a
// notification: with its poll turned off, the other replica still gets
// it. The delay is logged, not asserted.
func TestPublishReachesAnotherReplicaWithoutPolling(t *testing.T) {
	storetest.Replicas(t, 2, func(t *testing.T, dbs []*store.DB) {
		if dbs[0].Dialect != store.Postgres {
			t.Skip("SQLite replicas are processes on one file; they rely on the poll")
		}
		a, b := New(dbs[0], Options{}), New(dbs[1], Options{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		listening := make(chan struct{}, 1)
		// No Watch: the notification is b's only way to hear of it.
		dbs[1].Listen(ctx, "upskill_catalog", func() {
			if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("refresh: %v", err)
			}
			select {
			case listening <- struct{}{}:
			default:
			}
		})
		<-listening // the first call comes once it listens
		for rev := 1; rev <= 2; rev++ {
			start := time.Now()
			publish(t, a, "ai-ethics", newModule(fmt.Sprintf("AI Ethics %d", rev)))
			waitFor(t, func() bool { m, err := b.Module("ai-ethics"); return err == nil && m.Revision == rev })
			t.Logf("revision %d reached the other replica after %s", rev, time.Since(start))
		}
	})
}
