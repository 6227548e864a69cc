package httpapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
)

// moduleUpload is the body of PUT /modules/{slug}: a valid module with
// three lessons, an image and a quiz of three questions drawing two.
type moduleUpload map[string]string

func newUpload(title string, front ...string) moduleUpload {
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewGray(image.Rect(0, 0, 2, 2)))
	return moduleUpload{
		"module.md": fmt.Sprintf("---\ntitle: %s\nsummary: What %s means for marketing.\ntopics: [ethics]\n%s---\n\nStart with [the intro](lessons/01-intro.md).\n",
			title, title, strings.Join(append(front, ""), "\n")),
		"lessons/01-intro.md":   "# Intro\n\n![Chart](../assets/chart.png)\n\nNext: [middle](02-middle.md).\n",
		"lessons/02-middle.md":  "# Middle\n\nMore words.\n",
		"lessons/03-closing.md": "# Closing\n\nThe end.\n",
		"assets/chart.png":      "base64:" + base64.StdEncoding.EncodeToString(img.Bytes()),
		"quiz.md": "---\ndraw: 2\n---\n\n## One?\n\n- [x] yes\n- [ ] no\n\n## Two?\n\n- [x] a\n- [x] b\n- [ ] c\n\n" +
			"## Three?\n\n- [ ] x\n- [x] y\n",
	}
}

func (u moduleUpload) with(path, text string) moduleUpload {
	out := moduleUpload{}
	for k, v := range u {
		out[k] = v
	}
	out[path] = text
	return out
}

func (u moduleUpload) without(path string) moduleUpload {
	out := u.with(path, "")
	delete(out, path)
	return out
}

func (u moduleUpload) body() map[string]any { return map[string]any{"files": u} }

// problems decodes the problems of a 422 or a validate answer.
func problems(t *testing.T, res *apitest.Response) []string {
	t.Helper()
	var body struct {
		Problems []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	res.Decode(t, &body)
	var out []string
	for _, p := range body.Problems {
		out = append(out, fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message))
	}
	return out
}

func hasProblem(ps []string, prefix string) bool {
	return slices.ContainsFunc(ps, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

func TestPublishModuleAPI(t *testing.T) {
	e := newTestEnv(t)
	trainerC, trainerU := e.as(identity.RoleTrainer)

	res := trainerC.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics").body()).Want(t, http.StatusCreated).Map(t)
	if res["revision"] != 1.0 || res["created"] != true || res["slug"] != "ai-ethics" || len(res["content_hash"].(string)) != 64 {
		t.Fatalf("first publish: %v", res)
	}
	same := trainerC.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics").body()).Want(t, http.StatusOK).Map(t)
	if same["revision"] != 1.0 || same["created"] != false || same["content_hash"] != res["content_hash"] {
		t.Fatalf("unchanged publish: %v", same)
	}
	body := newUpload("AI Ethics").with("lessons/02-middle.md", "# Middle\n\nFixed a typo.\n").body()
	body["slug"] = "ai-ethics" // allowed when it matches the URL
	if next := trainerC.Put("/api/v1/modules/ai-ethics", body).Want(t, http.StatusCreated).Map(t); next["revision"] != 2.0 {
		t.Fatalf("changed publish: %v", next)
	}

	invalid := []struct {
		name   string
		upload moduleUpload
		want   string
	}{
		{"unknown topic", newUpload("AI Ethics").with("module.md", "---\ntitle: X\nsummary: Y\ntopics: [ethic]\n---\n"),
			`module.md:4: unknown topic "ethic"`},
		{"unknown prerequisite", newUpload("AI Ethics", "prerequisites: [no-such-module]"),
			`module.md:5: unknown prerequisite "no-such-module"`},
		{"broken link", newUpload("AI Ethics").with("lessons/03-closing.md", "# Closing\n\n[gone](04-gone.md)\n"),
			"lessons/03-closing.md:3: broken link: 04-gone.md"},
		{"no module.md", newUpload("AI Ethics").without("module.md"), "module.md:0: missing module.md"},
		{"bad base64", newUpload("AI Ethics").with("assets/chart.png", "base64:not base64!"), "assets/chart.png:0: "},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			res := trainerC.Put("/api/v1/modules/ai-ethics", tc.upload.body()).Want(t, http.StatusUnprocessableEntity)
			if ps := problems(t, res); !hasProblem(ps, tc.want) {
				t.Fatalf("problems %q lack %q", ps, tc.want)
			}
		})
	}
	m := e.c.As(trainerC.Token).Get("/api/v1/modules/ai-ethics").Want(t, http.StatusOK).Map(t)
	if m["revision"] != 2.0 {
		t.Fatalf("a refused publish changed the module: %v", m)
	}

	// The body's shape.
	trainerC.Put("/api/v1/modules/ai-ethics", map[string]any{"slug": "other-one", "files": newUpload("X")}).Want(t, http.StatusUnprocessableEntity)
	trainerC.Put("/api/v1/modules/ai-ethics", map[string]any{}).Want(t, http.StatusUnprocessableEntity)
	trainerC.Put("/api/v1/modules/ai-ethics", map[string]any{"files": map[string]any{"module.md": 3}}).Want(t, http.StatusBadRequest)
	trainerC.Put("/api/v1/modules/ai-ethics", map[string]any{"files": newUpload("X"), "extra": true}).Want(t, http.StatusBadRequest)

	// Audited with the trainer as the actor.
	n := 0
	if err := e.db.R.Raw("SELECT COUNT(*) FROM audit_events WHERE action = 'content.published' AND target = 'ai-ethics' AND actor_id = ?", trainerU.ID).Scan(&n).Error; err != nil || n != 2 {
		t.Errorf("%d content.published events by the trainer (err %v), want 2", n, err)
	}
	var by string
	e.db.R.Raw("SELECT published_by FROM module_revisions WHERE slug = 'ai-ethics' AND revision = 2").Scan(&by)
	if by != trainerU.ID {
		t.Errorf("published_by = %q, want the trainer", by)
	}
}

func TestPublishRefusesFilesOutsideTheModule(t *testing.T) {
	e := newTestEnv(t)
	trainerC, _ := e.as(identity.RoleTrainer)
	for _, name := range []string{"../x.md", "/etc/passwd", `lessons\x.md`, "assets/../../x", "other/x.md", "lessons/../../../x.md", "assets/x.svg"} {
		t.Run(name, func(t *testing.T) {
			res := trainerC.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics").with(name, "# x\n").body()).Want(t, http.StatusUnprocessableEntity)
			if ps := problems(t, res); !hasProblem(ps, name+":0: ") {
				t.Fatalf("problems %q do not name %q", ps, name)
			}
			v := trainerC.Post("/api/v1/content/validate", map[string]any{"slug": "ai-ethics", "files": newUpload("AI Ethics").with(name, "x")}).Want(t, http.StatusOK)
			if ps := problems(t, v); !hasProblem(ps, name+":0: ") {
				t.Fatalf("validate problems %q do not name %q", ps, name)
			}
		})
	}
	n := 0
	e.db.R.Raw("SELECT COUNT(*) FROM module_revisions").Scan(&n)
	if n != 0 {
		t.Errorf("%d revisions stored from refused uploads", n)
	}
}

func TestValidateContentAPI(t *testing.T) {
	e := newTestEnv(t)
	trainerC, _ := e.as(identity.RoleTrainer)
	ok := trainerC.Post("/api/v1/content/validate", map[string]any{"slug": "ai-ethics", "files": newUpload("AI Ethics")}).Want(t, http.StatusOK).Map(t)
	if ok["valid"] != true || len(ok["problems"].([]any)) != 0 {
		t.Fatalf("valid module: %v", ok)
	}
	bad := trainerC.Post("/api/v1/content/validate", map[string]any{"slug": "ai-ethics",
		"files": newUpload("AI Ethics").with("quiz.md", "## Q?\n\n- [ ] a\n- [ ] b\n")}).Want(t, http.StatusOK)
	if bad.Map(t)["valid"] != false || !hasProblem(problems(t, bad), "quiz.md:1: ") {
		t.Fatalf("invalid module: %s", bad.Body)
	}
	trainerC.Post("/api/v1/content/validate", map[string]any{"files": newUpload("AI Ethics")}).Want(t, http.StatusUnprocessableEntity)
	// Validating publishes nothing.
	trainerC.Get("/api/v1/modules/ai-ethics").Want(t, http.StatusNotFound)
	// Over 10 MiB.
	huge := map[string]any{"slug": "ai-ethics", "files": map[string]string{"module.md": strings.Repeat("x", 11<<20)}}
	trainerC.Post("/api/v1/content/validate", huge).Want(t, http.StatusRequestEntityTooLarge)
}

func TestContentRoutesNeedTrainerOrAdmin(t *testing.T) {
	e := newTestEnv(t)
	body := map[string]any{"slug": "ai-ethics", "files": newUpload("AI Ethics")}
	for _, role := range []string{identity.RoleTrainer, identity.RoleAdmin} {
		c, _ := e.as(role)
		c.Post("/api/v1/content/validate", body).Want(t, http.StatusOK)
		c.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics for "+role).body()).Want(t, http.StatusCreated)
	}
	for _, role := range []string{identity.RoleLearner, identity.RoleHR} {
		c, _ := e.as(role)
		c.Post("/api/v1/content/validate", body).Want(t, http.StatusForbidden)
		c.Put("/api/v1/modules/ai-ethics", body).Want(t, http.StatusForbidden)
	}
	e.c.Post("/api/v1/content/validate", body).Want(t, http.StatusUnauthorized)
	e.c.Put("/api/v1/modules/ai-ethics", body).Want(t, http.StatusUnauthorized)
	e.c.Get("/api/v1/modules").Want(t, http.StatusUnauthorized)
	e.c.Get("/api/v1/modules/ai-ethics").Want(t, http.StatusUnauthorized)
}

var assetURL = regexp.MustCompile(`src="(/api/v1/modules/ai-ethics/assets/chart\.png\?v=([0-9a-f]{12}))"`)

func TestCatalogAPI(t *testing.T) {
	e := newTestEnv(t)
	trainerC, _ := e.as(identity.RoleTrainer)
	trainerC.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics", "valid_for: 12mo", "max_attempts: 3").body()).Want(t, http.StatusCreated)
	trainerC.Put("/api/v1/modules/privacy-first", newUpload("Privacy first").with("module.md",
		"---\ntitle: Privacy first\nsummary: Consent and customer data.\ntopics: [privacy]\nprerequisites: [ai-ethics]\n---\n").without("quiz.md").body()).Want(t, http.StatusCreated)
	c, _ := e.as(identity.RoleLearner)

	t.Run("list", func(t *testing.T) {
		for query, want := range map[string][]string{
			"":                       {"ai-ethics", "privacy-first"},
			"?topic=privacy":         {"privacy-first"},
			"?q=consent":             {"privacy-first"},
			"?q=ETHICS&topic=ethics": {"ai-ethics"},
			"?topic=roi":             nil,
		} {
			var got struct {
				Items []struct {
					Slug string `json:"slug"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			c.Get("/api/v1/modules"+query).Want(t, http.StatusOK).Decode(t, &got)
			var slugs []string
			for _, it := range got.Items {
				slugs = append(slugs, it.Slug)
			}
			if !slices.Equal(slugs, want) || got.NextCursor != "" {
				t.Errorf("GET /modules%s = %v (next %q), want %v", query, slugs, got.NextCursor, want)
			}
		}
		first := c.Get("/api/v1/modules?limit=1").Want(t, http.StatusOK).Map(t)
		item := first["items"].([]any)[0].(map[string]any)
		if item["slug"] != "ai-ethics" || item["lesson_count"] != 3.0 || item["has_quiz"] != true || item["revision"] != 1.0 || item["level"] != "beginner" {
			t.Errorf("first item %v", item)
		}
		second := c.Get("/api/v1/modules?limit=1&cursor="+first["next_cursor"].(string)).Want(t, http.StatusOK).Map(t)
		if items := second["items"].([]any); len(items) != 1 || items[0].(map[string]any)["slug"] != "privacy-first" || second["next_cursor"] != "" {
			t.Errorf("second page %v", second)
		}
		res := c.Get("/api/v1/modules?topic=astrology").Want(t, http.StatusBadRequest).Map(t)
		if errs := res["errors"].([]any); errs[0].(map[string]any)["field"] != "topic" {
			t.Errorf("bad topic problem %v", res)
		}
		c.Get("/api/v1/modules?limit=0").Want(t, http.StatusBadRequest)
	})

	var assetPath, version string
	t.Run("module", func(t *testing.T) {
		res := c.Get("/api/v1/modules/ai-ethics").Want(t, http.StatusOK)
		m := res.Map(t)
		quiz := m["quiz"].(map[string]any)
		if quiz["question_count"] != 2.0 || quiz["pass_mark"] != 80.0 || quiz["max_attempts"] != 3.0 {
			t.Errorf("quiz %v", quiz)
		}
		if m["valid_for_days"] != 365.0 || len(m["lessons"].([]any)) != 3 || !strings.Contains(m["overview_html"].(string), `href="/api/v1/modules/ai-ethics/lessons/intro"`) {
			t.Errorf("module %v", m)
		}
		etag := res.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`+m["content_hash"].(string)) || res.Header.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("ETag %q, Cache-Control %q", etag, res.Header.Get("Cache-Control"))
		}
		c.Get("/api/v1/modules/ai-ethics", apitest.Header("If-None-Match", etag)).Want(t, http.StatusNotModified)
		c.Get("/api/v1/modules/ai-ethics", apitest.Header("If-None-Match", `"other", W/`+etag)).Want(t, http.StatusNotModified)
		c.Get("/api/v1/modules/ai-ethics", apitest.Header("If-None-Match", `"stale"`)).Want(t, http.StatusOK)

		p := c.Get("/api/v1/modules/privacy-first").Want(t, http.StatusOK).Map(t)
		if p["quiz"] != nil || p["valid_for_days"] != nil || !slices.Equal(toStrings(p["prerequisites"]), []string{"ai-ethics"}) {
			t.Errorf("module without quiz %v", p)
		}
		c.Get("/api/v1/modules/no-such-module").Want(t, http.StatusNotFound)
	})

	t.Run("lessons", func(t *testing.T) {
		cases := []struct {
			slug           string
			previous, next any
		}{
			{"intro", nil, "middle"},
			{"middle", "intro", "closing"},
			{"closing", "middle", nil},
		}
		for _, tc := range cases {
			res := c.Get("/api/v1/modules/ai-ethics/lessons/"+tc.slug).Want(t, http.StatusOK)
			l := res.Map(t)
			if l["previous"] != tc.previous || l["next"] != tc.next || l["minutes"] != 1.0 {
				t.Errorf("lesson %s: %v", tc.slug, l)
			}
			c.Get("/api/v1/modules/ai-ethics/lessons/"+tc.slug, apitest.Header("If-None-Match", res.Header.Get("ETag"))).Want(t, http.StatusNotModified)
			if tc.slug == "intro" {
				m := assetURL.FindStringSubmatch(l["html"].(string))
				if m == nil {
					t.Fatalf("intro html has no versioned image: %s", l["html"])
				}
				assetPath, version = m[1], m[2]
			}
		}
		c.Get("/api/v1/modules/ai-ethics/lessons/no-such-lesson").Want(t, http.StatusNotFound)
	})

	t.Run("assets", func(t *testing.T) {
		res := e.c.Get(assetPath).Want(t, http.StatusOK) // no token: <img> sends none
		h := res.Header
		if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Security-Policy") != "default-src 'none'" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("asset headers %v", h)
		}
		if !bytes.HasPrefix(res.Body, []byte("\x89PNG")) {
			t.Errorf("asset body %q", res.Body[:min(8, len(res.Body))])
		}
		if cc := e.c.Get("/api/v1/modules/ai-ethics/assets/chart.png").Want(t, http.StatusOK).Header.Get("Cache-Control"); cc != "public, max-age=300" {
			t.Errorf("unversioned asset Cache-Control %q", cc)
		}
		e.c.Get("/api/v1/modules/ai-ethics/assets/missing.png?v="+version).Want(t, http.StatusNotFound)
		e.c.Get("/api/v1/modules/no-such-module/assets/chart.png").Want(t, http.StatusNotFound)
		e.c.Get("/api/v1/modules/ai-ethics/assets/..%2Fmodule.md").Want(t, http.StatusNotFound)

		// After a new revision, the old URL still serves the old image for good.
		var img bytes.Buffer
		_ = png.Encode(&img, image.NewGray(image.Rect(0, 0, 3, 3)))
		trainerC.Put("/api/v1/modules/ai-ethics", newUpload("AI Ethics", "valid_for: 12mo", "max_attempts: 3").
			with("assets/chart.png", "base64:"+base64.StdEncoding.EncodeToString(img.Bytes())).body()).Want(t, http.StatusCreated)
		old := e.c.Get(assetPath).Want(t, http.StatusOK)
		if !bytes.Equal(old.Body, res.Body) || old.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Error("the old revision's image URL no longer serves the old image")
		}
		if cur := e.c.Get("/api/v1/modules/ai-ethics/assets/chart.png").Want(t, http.StatusOK); !bytes.Equal(cur.Body, img.Bytes()) {
			t.Error("the unversioned URL does not serve the current image")
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
