package web_test

import (
	"archive/zip"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// staffShots takes the trainer and admin pages' screenshots at desktop
// and phone (360 px) width when UPSKILL_UPDATE_SCREENSHOTS=1.
func staffShots(p page, name string) {
	p.t.Helper()
	if os.Getenv("UPSKILL_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	for _, w := range []int64{1280, 360} {
		p.run(chromedp.EmulateViewport(w, 800), chromedp.Sleep(150*time.Millisecond))
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("screenshots", fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	p.run(chromedp.EmulateViewport(1280, 900))
}

// journeyLimit bounds one browser's steps in these journeys.
var journeyLimit = 60 * time.Second

// journeyContext is a fresh browser whose steps give up well before the
// test's own deadline, so a page that never shows fails with its step.
func journeyContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(newBrowser(t), journeyLimit)
	t.Cleanup(cancel)
	return ctx
}

// signIn signs in through the sign-in page and waits for My learning.
func (p page) signIn(url, email, password string) {
	p.t.Helper()
	p.run(chromedp.Navigate(url + "/sign-in"))
	p.heading("Sign in")
	p.run(chromedp.SendKeys(`#email`, email), chromedp.SendKeys(`#password`, password), chromedp.Click(`button[type=submit]`))
	p.heading("My learning")
}

// zipOf writes the files as a ZIP of the module's folder, as a trainer
// would zip it on their desktop.
func zipOf(t *testing.T, folder string, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), folder+".zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	for name, text := range files {
		fw, err := w.Create(folder + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A trainer uploads a new revision of a module as a ZIP with a mistake in
// the quiz, sees the problem with its file and line, fixes it in the
// browser, previews the quiz with its answers marked, publishes, and a
// learner sees the new revision. The trainer also reads the module's
// feedback, and a learner who opens a trainer page is told plainly that
// it is not theirs.
func TestTrainerJourneyInBrowser(t *testing.T) {
	axe := needBrowser(t)
	s := startServer(t)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "tomas@example.com", "name": "Tomás Berg",
		"department": "Learning", "roles": []string{"trainer"}, "password": "a long trainer password"}, 201)
	for i, fb := range []struct {
		rating  int
		comment string
	}{{5, "Short and to the point. The audit checklist is something I used the same week."}, {4, "Good examples; one more on lookalike audiences would help."}, {3, ""}, {4, "Clear."}} {
		email := fmt.Sprintf("learner%d@example.com", i)
		s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": email, "name": fmt.Sprintf("Learner %d", i),
			"department": "Marketing", "roles": []string{"learner"}, "password": "a long learner password"}, 201)
		tok := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "a long learner password"}, 200)["access_token"].(string)
		s.call(t, tok, "POST", "/api/v1/modules/fair-ai/feedback", map[string]any{"rating": fb.rating, "comment": fb.comment}, 201)
	}

	p := page{t: t, ctx: journeyContext(t), axe: axe}
	p.signIn(s.url, "tomas@example.com", "a long trainer password")
	p.run(chromedp.Click(`//nav//a[normalize-space()="Modules"]`))
	p.heading("Modules")
	p.run(chromedp.WaitVisible(`//td[contains(., "4.0 of 5 (4 ratings)")]`))
	p.check("trainer-modules")
	staffShots(p, "trainer-modules")

	p.run(chromedp.Click(`//a[starts-with(normalize-space(), "4.0 of 5")]`))
	p.heading("Feedback: Fair AI in campaigns")
	p.run(chromedp.WaitVisible(`figure.chart svg`), chromedp.WaitVisible(`//blockquote[normalize-space()="Clear."]`))
	p.check("trainer-feedback")
	staffShots(p, "trainer-feedback")

	// A new revision: lesson 1 retitled, and a quiz question with no right
	// answer marked.
	revised := map[string]string{}
	for k, v := range testModule {
		revised[k] = v
	}
	revised["lessons/01-intro.md"] = strings.Replace(testModule["lessons/01-intro.md"], "# Why it matters", "# Why fairness matters", 1)
	revised["quiz.md"] = strings.Replace(testModule["quiz.md"], "- [x] Right: a person", "- [ ] Right: a person", 1)
	p.run(chromedp.Navigate(s.url + "/trainer/modules"))
	p.heading("Modules")
	p.run(chromedp.Click(`//a[starts-with(normalize-space(), "New revision")]`))
	p.heading("New revision of fair-ai")
	p.run(chromedp.WaitVisible(`//p[normalize-space()="Started from the files of revision 1. Change them here or upload new ones."]`))
	p.run(chromedp.SetUploadFiles(`#zip`, []string{zipOf(t, "fair-ai", revised)}))
	p.run(chromedp.WaitVisible(`//li[contains(@class,"problem")]/button[starts-with(normalize-space(), "quiz.md, line")]`))
	where, err := chromedp.Run(p.ctx, chromedp.Text(`li.problem`))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^quiz\.md, line 17: .*no correct choice`).MatchString(where) {
		t.Errorf("the problem reads %q, want quiz.md line 17 (the question) and what is wrong", where)
	}
	p.check("trainer-editor")
	staffShots(p, "trainer-editor")

	// The problem's link opens quiz.md; the fix is typed in the browser.
	p.run(chromedp.Click(`li.problem button`), chromedp.WaitVisible(`//label[@for="file-text"][normalize-space()="Contents of quiz.md"]`))
	eval[bool](p, `(() => { const ta = document.getElementById('file-text');
		ta.value = ta.value.replace('- [ ] Right: a person', '- [x] Right: a person');
		ta.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
	p.run(chromedp.WaitVisible(`//p[contains(@class,"status-line")][starts-with(normalize-space(), "No problems")]`))

	p.run(chromedp.Click(`//button[normalize-space()="Preview"]`), chromedp.WaitVisible(`#preview-h`))
	marks := eval[int](p, `document.querySelectorAll('.preview .answer-mark.right').length`)
	if marks != 4 { // one, two and one right answers
		t.Errorf("the preview marks %d right answers, want 4", marks)
	}
	p.run(chromedp.WaitVisible(`//section[contains(@class,"preview")]//h3[normalize-space()="Lesson 1: Why fairness matters"]`))
	p.check("trainer-preview")
	staffShots(p, "trainer-preview")

	p.run(chromedp.Click(`//button[normalize-space()="Publish"]`), chromedp.WaitVisible(`//h2[normalize-space()="Published revision 2"]`))

	// A new module from a folder: its name becomes the slug.
	folder := filepath.Join(t.TempDir(), "ai-pilots")
	for name, text := range map[string]string{
		"module.md":          "---\ntitle: Running an AI pilot\nsummary: Pick a small, measurable first use of AI.\ntopics: [pilots]\n---\n\nStart small.\n",
		"lessons/01-pick.md": "# Pick the pilot\n\nOne team, one task, one measure.\n",
		".DS_Store":          "clutter",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(folder, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.run(chromedp.Navigate(s.url + "/trainer/modules/new"))
	p.heading("New module")
	p.run(chromedp.SetUploadFiles(`#folder`, []string{folder}))
	p.run(chromedp.WaitVisible(`//p[contains(@class,"status-line")][starts-with(normalize-space(), "No problems")]`))
	if slug := eval[string](p, `document.getElementById('slug').value`); slug != "ai-pilots" {
		t.Errorf("the slug from the folder's name is %q", slug)
	}
	p.check("trainer-new")
	p.run(chromedp.Click(`//button[normalize-space()="Publish"]`), chromedp.WaitVisible(`//h2[normalize-space()="Published revision 1"]`))

	// A learner, in a browser of their own, sees revision 2.
	l := page{t: t, ctx: journeyContext(t), axe: axe}
	l.signIn(s.url, "learner0@example.com", "a long learner password")
	l.run(chromedp.Navigate(s.url + "/modules/fair-ai"))
	l.heading("Fair AI in campaigns")
	l.run(chromedp.WaitVisible(`//p[contains(., "revision 2")]`), chromedp.WaitVisible(`//a[normalize-space()="Why fairness matters"]`))
	if n := eval[int](l, `document.querySelectorAll('nav a[href^="/trainer"], nav a[href^="/admin"]').length`); n != 0 {
		t.Errorf("a learner's navigation shows %d trainer or admin entries", n)
	}
	l.run(chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(`//a[normalize-space()="Running an AI pilot"]`))
	l.run(chromedp.Navigate(s.url + "/trainer/modules"))
	l.heading("Not allowed")
	l.check("not-allowed")
}

// An admin changes a person's roles, finds the change in the audit log,
// and retries a mail delivery that failed (the relay never answers).
func TestAdminPagesInBrowser(t *testing.T) {
	axe := needBrowser(t)
	// A relay on a port nobody listens on: every delivery fails, and gives
	// up at once.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := dead.Addr().String()
	dead.Close()
	s := startServer(t, "UPSKILL_SMTP_URL", "smtp://"+relay+"?tls=none", "UPSKILL_MAIL_FROM", "upskill@example.com",
		"UPSKILL_OUTBOX_GIVE_UP", "1ms")
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	rosa := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "rosa@example.com", "name": "Rosa Diaz",
		"department": "Marketing", "roles": []string{"learner"}}, 201)
	s.call(t, admin, "POST", "/api/v1/users/"+rosa["id"].(string)+"/invite", nil, 202)

	p := page{t: t, ctx: journeyContext(t), axe: axe}
	p.signIn(s.url, s.admin, s.password)
	p.run(chromedp.Click(`//nav//a[normalize-space()="Roles"]`))
	p.heading("Roles")
	p.run(chromedp.SendKeys(`#q`, "rosa"), chromedp.Click(`//button[normalize-space()="Search"]`),
		chromedp.WaitVisible(`//td[normalize-space()="rosa@example.com"]`))
	p.check("admin-users")
	p.run(chromedp.Click(`//a[starts-with(normalize-space(), "Change roles")]`))
	p.heading("Roles: Rosa Diaz")
	p.run(chromedp.WaitVisible(`#role-trainer`), chromedp.Click(`#role-trainer`), chromedp.Click(`//button[normalize-space()="Save roles"]`),
		chromedp.WaitVisible(`//p[@role="status"][starts-with(normalize-space(), "Saved.")]`))
	p.check("admin-roles")
	staffShots(p, "admin-roles")
	got := s.call(t, admin, "GET", "/api/v1/users/"+rosa["id"].(string), nil, 200)
	if fmt.Sprint(got["roles"]) != "[learner trainer]" {
		t.Errorf("roles after saving: %v", got["roles"])
	}

	p.run(chromedp.Click(`//nav//a[normalize-space()="Audit log"]`))
	p.heading("Audit log")
	p.run(chromedp.SendKeys(`#action`, "user.roles_changed"), chromedp.Click(`//button[normalize-space()="Show events"]`),
		chromedp.WaitVisible(`//td[normalize-space()="`+rosa["id"].(string)+`"]`))
	if n := eval[int](p, `document.querySelectorAll('table.data tbody tr').length`); n != 1 {
		t.Errorf("the filtered audit log shows %d events, want 1", n)
	}
	p.check("admin-audit")
	staffShots(p, "admin-audit")

	// The invitation's delivery fails; the admin sees it and retries it.
	p.run(chromedp.Click(`//nav//a[normalize-space()="Deliveries"]`))
	p.heading("Deliveries")
	p.run(chromedp.SetValue(`#status`, "failed"), chromedp.Click(`//button[normalize-space()="Show deliveries"]`))
	for range 100 {
		if eval[int](p, `document.querySelectorAll('table.data tbody tr').length`) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
		p.run(chromedp.Click(`//button[normalize-space()="Show deliveries"]`))
	}
	p.run(chromedp.WaitVisible(`//td[@data-label="Last error"][normalize-space()!="—"]`))
	p.check("admin-deliveries")
	staffShots(p, "admin-deliveries")
	p.run(chromedp.Click(`//button[starts-with(normalize-space(), "Retry")]`),
		chromedp.WaitVisible(`//p[@role="status"][contains(., "queued again")]`))
}
