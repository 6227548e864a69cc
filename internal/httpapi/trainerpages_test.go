package httpapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// The trainers' module list shows archived modules when asked, so an
// archived module can be found and brought back; nobody else may ask.
func TestListModulesIncludeArchived(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	publishCourse(t, e, "bias-basics", "Bias basics")
	trainer, _ := e.as(identity.RoleTrainer)
	adminC, _ := e.as(identity.RoleAdmin)
	learner, _ := e.as(identity.RoleLearner)
	hrC, _ := e.as(identity.RoleHR)
	trainer.Post("/api/v1/modules/fair-ai/archive", nil).Want(t, http.StatusOK)

	var list struct {
		Items []struct {
			Slug     string `json:"slug"`
			Archived bool   `json:"archived"`
		} `json:"items"`
	}
	trainer.Get("/api/v1/modules").Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Slug != "bias-basics" {
		t.Fatalf("catalogue without archived = %+v", list.Items)
	}
	adminC.Get("/api/v1/modules?include_archived=true").Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].Slug != "bias-basics" || list.Items[1].Slug != "fair-ai" || !list.Items[1].Archived || list.Items[0].Archived {
		t.Fatalf("with archived = %+v", list.Items)
	}
	trainer.Get("/api/v1/modules?include_archived=false").Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("include_archived=false = %+v", list.Items)
	}
	learner.Get("/api/v1/modules?include_archived=true").Want(t, http.StatusForbidden)
	hrC.Get("/api/v1/modules?include_archived=true").Want(t, http.StatusForbidden)
	trainer.Get("/api/v1/modules?include_archived=yes").Want(t, http.StatusBadRequest)
}

// Feedback comments page with next_cursor, newest first, with ties on the
// time broken the same way on both databases; the figures cover everyone.
func TestFeedbackCommentsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishCourse(t, e, "fair-ai", "Fair AI")
		trainer, _ := e.as(identity.RoleTrainer)
		for i := range 5 {
			c, _ := e.as(identity.RoleLearner)
			comment := fmt.Sprintf("comment %d", i)
			if i == 2 {
				comment = "" // a rating without a comment counts, but is not listed
			}
			c.Post("/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 1 + i, "comment": comment}).Want(t, http.StatusCreated)
			if i%2 == 1 {
				e.clock.Advance(time.Minute) // two comments share each time
			}
		}
		type summary struct {
			Count      int `json:"count"`
			Comments   []struct{ Comment string }
			NextCursor string `json:"next_cursor"`
		}
		var seen []string
		cursor := ""
		for range 10 {
			var s summary
			trainer.Get("/api/v1/modules/fair-ai/feedback?limit=2&cursor="+cursor).Want(t, http.StatusOK).Decode(t, &s)
			if s.Count != 5 {
				t.Fatalf("count = %d on every page", s.Count)
			}
			for _, c := range s.Comments {
				seen = append(seen, c.Comment)
			}
			if s.NextCursor == "" {
				break
			}
			cursor = s.NextCursor
		}
		if fmt.Sprint(seen[:1]) != "[comment 4]" || len(seen) != 4 {
			t.Fatalf("comments over the pages = %q", seen)
		}
		all := map[string]bool{}
		for _, s := range seen {
			all[s] = true
		}
		if len(all) != 4 {
			t.Fatalf("a comment repeated or went missing: %q", seen)
		}
		trainer.Get("/api/v1/modules/fair-ai/feedback?cursor=bm9wZQ").Want(t, http.StatusBadRequest)
	})
}

// An author reads a module's files back in the shape publish takes:
// publishing them unchanged keeps the revision; images come as base64.
func TestModuleFilesRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		learner, _ := e.as(identity.RoleLearner)
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		body := course("Fair AI")
		files := body["files"].(map[string]string)
		files["assets/dot.png"] = "base64:" + base64.StdEncoding.EncodeToString(png)
		files["lessons/01-intro.md"] += "\n![A dot](../assets/dot.png)\n"
		trainer.Put("/api/v1/modules/fair-ai", body).Want(t, http.StatusCreated)

		var got struct {
			Slug     string            `json:"slug"`
			Revision int               `json:"revision"`
			Files    map[string]string `json:"files"`
		}
		trainer.Get("/api/v1/modules/fair-ai/files").Want(t, http.StatusOK).Decode(t, &got)
		if got.Slug != "fair-ai" || got.Revision != 1 || len(got.Files) != len(files) {
			t.Fatalf("files = %+v", got)
		}
		for p, want := range files {
			if got.Files[p] != want {
				t.Errorf("%s = %q, want %q", p, got.Files[p], want)
			}
		}
		again := trainer.Put("/api/v1/modules/fair-ai", map[string]any{"files": got.Files}).Want(t, http.StatusOK).Map(t)
		if again["revision"] != 1.0 || again["created"] != false {
			t.Errorf("publishing the files unchanged answered %v", again)
		}
		learner.Get("/api/v1/modules/fair-ai/files").Want(t, http.StatusForbidden)
		trainer.Get("/api/v1/modules/no-such/files").Want(t, http.StatusNotFound)
	})
}
