package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/spf13/pflag"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
)

const chromiumPath = "/usr/bin/chromium"

// needBrowser skips the journey on a laptop without Chromium or the npm
// packages; in CI (CI=true) a missing prerequisite fails instead.
func needBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser journey skipped under -short")
	}
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing, and CI=true: install it (.ci/run does)", what)
		}
		t.Skipf("%s is missing: browser journey skipped (apt-get install chromium; npm ci in internal/web/ui)", what)
	}
	if _, err := exec.LookPath(chromiumPath); err != nil {
		missing("Chromium (" + chromiumPath + ")")
	}
	axe, err := os.ReadFile(filepath.Join("ui", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing("axe-core (internal/web/ui/node_modules)")
	}
	return string(axe)
}

// A small module of three lessons and a quiz whose right answers say so.
var testModule = map[string]string{
	"module.md": "---\ntitle: Fair AI in campaigns\nsummary: Spot and fix bias before a campaign ships.\ntopics: [ethics]\nlevel: beginner\n" +
		"max_attempts: 3\nvalid_for: 12mo\n---\n\nWhy fairness matters in marketing.\n",
	"lessons/01-intro.md":    "# Why it matters\n\nAI picks audiences. **Biased data** picks unfairly.\n\n- Check the data\n- Check the outcome\n",
	"lessons/02-practice.md": "# In practice\n\nAudit who sees each ad, by group.\n",
	"lessons/03-wrap-up.md":  "# Wrap-up\n\nPeople stay accountable for what the model does.\n",
	"quiz.md": "## Which is fair?\n\n- [x] Right: audit the data\n- [ ] Wrong: ship it\n- [ ] Wrong: guess\n\n> Audits find bias.\n\n" +
		"## Which two help?\n\n- [x] Right: consent\n- [x] Right: minimisation\n- [ ] Wrong: hoarding\n\n> Both protect people.\n\n" +
		"## Who decides?\n\n- [ ] Wrong: the model\n- [x] Right: a person\n\n> People stay accountable.\n",
}

type server struct {
	url, admin, password string
}

// startServer runs the real application on 127.0.0.1:0 with the test
// module as its content; extraEnv adds settings (name, value, ...).
func startServer(t *testing.T, extraEnv ...string) server {
	t.Helper()
	return startServerWith(t, nil, extraEnv...)
}

// startServerWith is startServer with more content files (paths under the
// content folder, e.g. "pulses/readiness.md").
func startServerWith(t *testing.T, content map[string]string, extraEnv ...string) server {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for name, text := range testModule {
		files[filepath.Join("fair-ai", name)] = text
	}
	for name, text := range content {
		files[name] = text
	}
	for name, text := range files {
		p := filepath.Join(dir, "content", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	env := map[string]string{
		"UPSKILL_DATA_DIR": filepath.Join(dir, "data"), "UPSKILL_CONTENT_DIR": filepath.Join(dir, "content"),
		"UPSKILL_BASE_URL": url, "UPSKILL_ADMIN_EMAIL": "admin@example.com",
		"UPSKILL_ADMIN_PASSWORD": "correct horse battery staple", "UPSKILL_SHUTDOWN_TIMEOUT": "5s",
	}
	for i := 0; i+1 < len(extraEnv); i += 2 {
		env[extraEnv[i]] = extraEnv[i+1]
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	config.Bind(fs)
	cfg, err := config.Load(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(ctx, io.Discard, false); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return server{url: url, admin: env["UPSKILL_ADMIN_EMAIL"], password: env["UPSKILL_ADMIN_PASSWORD"]}
}

// call is one JSON API call for the test's own set-up.
func (s server) call(t *testing.T, token, method, path string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	return out
}

// newBrowser starts headless Chromium with a fresh profile and no
// background traffic.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 6*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

type page struct {
	t    *testing.T
	ctx  context.Context
	axe  string
	shot bool
}

func (p page) run(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// eval runs JavaScript in the page (awaiting a promise) and decodes its value.
func eval[T any](p page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// heading waits until the page's h1 reads want.
func (p page) heading(want string) {
	p.t.Helper()
	p.run(chromedp.WaitVisible(fmt.Sprintf(`//h1[normalize-space()=%q]`, want)))
}

// check runs axe-core on the page and fails on serious or critical
// violations, then takes the screenshots when asked to.
func (p page) check(name string) {
	p.t.Helper()
	type violation struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []any } `json:"nodes"`
	}
	eval[any](p, p.axe+";true")
	res := eval[[]violation](p, `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)`)
	for _, v := range res {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Errorf("%s: axe %s violation %s: %s (%v)", name, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
	if !p.shot {
		return
	}
	for _, w := range []int64{1280, 375} {
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

// A learner signs in, finds the assigned module, reads every lesson,
// fails the quiz once, passes it, downloads the certificate and sees the
// public verification page call the record valid.
func TestLearnerJourneyInBrowser(t *testing.T) {
	axe := needBrowser(t)
	s := startServer(t)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	learner := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "maya@example.com", "name": "Maya Lind",
		"department": "Marketing", "roles": []string{"learner"}, "password": "a long learner password"}, 201)
	s.call(t, admin, "POST", "/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{learner["id"].(string)},
		"due_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, 201)

	p := page{t: t, ctx: newBrowser(t), axe: axe, shot: os.Getenv("UPSKILL_UPDATE_SCREENSHOTS") == "1"}
	downloads := t.TempDir()
	p.run(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))

	p.run(chromedp.Navigate(s.url + "/"))
	p.heading("Sign in")
	p.run(chromedp.Click(`button[type=submit]`))
	p.run(chromedp.WaitVisible(`.error-summary a[href="#email"]`)) // errors summarised, linked to the fields
	p.check("sign-in")
	p.run(chromedp.SendKeys(`#email`, "maya@example.com"), chromedp.SendKeys(`#password`, "a long learner password"),
		chromedp.Click(`button[type=submit]`))
	p.heading("My learning")
	p.run(chromedp.WaitVisible(`//section[@aria-labelledby="due-h"]//a[normalize-space()="Fair AI in campaigns"]`))
	p.check("my-learning")

	p.run(chromedp.Click(`//section[@aria-labelledby="due-h"]//a[normalize-space()="Fair AI in campaigns"]`))
	p.heading("Fair AI in campaigns")
	p.check("module")
	p.run(chromedp.Click(`//a[normalize-space()="Start"]`))
	for i, title := range []string{"Why it matters", "In practice", "Wrap-up"} {
		p.heading(title)
		if i == 0 {
			p.check("lesson")
		}
		p.run(chromedp.Click(`//button[normalize-space()="Mark as complete"]`),
			chromedp.WaitVisible(`.done-note`))
		if i < 2 {
			p.run(chromedp.Click(`a[rel=next]`))
		}
	}
	// Started and assigned, the module shows once on My learning: under
	// "Assigned to you", not again under "In progress".
	back := eval[string](p, `location.href`)
	p.run(chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(`//section[@aria-labelledby="due-h"]//a[starts-with(normalize-space(),"Continue")]`),
		chromedp.WaitVisible(`//section[@aria-labelledby="progress-h"]//p[starts-with(normalize-space(),"Nothing else")]`))
	if n := eval[int](p, `document.querySelectorAll('section[aria-labelledby="progress-h"] li').length`); n != 0 {
		t.Errorf("the started assigned module is listed again under In progress (%d cards)", n)
	}
	p.check("my-learning-started")
	p.run(chromedp.Navigate(back))
	p.heading("Wrap-up")
	p.run(chromedp.Click(`//a[normalize-space()="Take the quiz →"]`))
	p.heading("Quiz: Fair AI in campaigns")

	answer := func(right bool) {
		p.run(chromedp.WaitVisible(`//button[normalize-space()="Submit answers"]`))
		n := eval[int](p, fmt.Sprintf(`(() => { let n = 0; for (const f of document.querySelectorAll('fieldset.question')) {
			const labels = [...f.querySelectorAll('label')];
			const pick = labels.filter(l => l.textContent.trim().startsWith('Right') === %t);
			for (const l of (%t ? pick : pick.slice(0, 1))) { document.getElementById(l.htmlFor).click(); n++; } } return n; })()`, right, right))
		if n == 0 {
			t.Fatal("no choices picked")
		}
		p.run(chromedp.Click(`//button[normalize-space()="Submit answers"]`), chromedp.WaitVisible(`#confirm-title`))
	}
	answer(false)
	p.check("quiz")
	p.run(chromedp.Click(`//button[normalize-space()="Yes, submit"]`))
	p.run(chromedp.WaitVisible(`//h2[normalize-space()="Not passed this time"]`), chromedp.WaitVisible(`.explanation`))
	p.run(chromedp.Click(`//button[normalize-space()="Try again"]`), chromedp.WaitVisible(`//button[normalize-space()="Submit answers"]`))
	answer(true)
	p.run(chromedp.Click(`//button[normalize-space()="Yes, submit"]`))
	p.run(chromedp.WaitVisible(`//h2[normalize-space()="You passed"]`))
	p.check("quiz-passed")

	p.run(chromedp.Click(`//nav//a[normalize-space()="My records"]`))
	p.heading("My records")
	p.run(chromedp.WaitVisible(`//li[contains(@class,"record")]//h2[normalize-space()="Fair AI in campaigns"]`))
	p.check("records")
	p.run(chromedp.Click(`//button[starts-with(normalize-space(),"Download certificate")]`))
	waitForPDF(t, downloads)

	p.run(chromedp.Click(`//a[starts-with(normalize-space(),"Verification page")]`))
	p.heading("Verify a completion record")
	p.run(chromedp.WaitVisible(`.verdict[data-status=valid]`))
	holder, err := chromedp.Run(p.ctx, chromedp.Text(`//dt[.="Holder"]/following-sibling::dd[1]`))
	if err != nil {
		t.Fatal(err)
	}
	if holder != "Maya Lind" {
		t.Errorf("verification page names %q", holder)
	}
	p.check("verify")

	// Signing out ends the session: the app goes back to sign-in and a
	// reload does not bring the session back.
	p.run(chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(`//h1[.="My learning"]`))
	p.run(chromedp.Click(`//button[normalize-space()="Sign out"]`))
	p.heading("Sign in")
	p.run(chromedp.Reload())
	p.heading("Sign in")
}

// waitForPDF waits for the certificate download and checks it is a PDF.
func waitForPDF(t *testing.T, dir string) {
	t.Helper()
	for range 100 {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".pdf") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && bytes.HasPrefix(b, []byte("%PDF-")) && bytes.Contains(b[max(len(b)-64, 0):], []byte("%%EOF")) {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no PDF certificate was downloaded")
}

// Two tabs share one browser session: a second tab signs in without a
// password, and signing out in one tab signs out the other.
func TestSignOutReachesEveryTab(t *testing.T) {
	needBrowser(t)
	s := startServer(t)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "noor@example.com", "name": "Noor Haddad",
		"department": "Marketing", "roles": []string{"learner"}, "password": "a long learner password"}, 201)

	one := page{t: t, ctx: newBrowser(t)}
	one.run(chromedp.Navigate(s.url + "/sign-in"))
	one.heading("Sign in")
	one.run(chromedp.SendKeys(`#email`, "noor@example.com"), chromedp.SendKeys(`#password`, "a long learner password"),
		chromedp.Click(`button[type=submit]`))
	one.heading("My learning")

	ctx2, cancel := chromedp.NewContext(one.ctx) // a second tab of the same browser
	defer cancel()
	two := page{t: t, ctx: ctx2}
	two.run(chromedp.Navigate(s.url + "/records"))
	two.heading("My records")

	one.run(chromedp.Click(`//button[normalize-space()="Sign out"]`))
	one.heading("Sign in")
	two.heading("Sign in")
	two.run(chromedp.Navigate(s.url + "/records"))
	two.heading("Sign in")
}

// An invited person accepts the invitation in the browser and is signed
// in; the settings page turns reminders off; "forgot password" and a
// reset link with a bad token answer plainly.
func TestAccountPagesInBrowser(t *testing.T) {
	axe := needBrowser(t)
	s := startServer(t)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	newcomer := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "ines@example.com", "name": "Ines Roth",
		"department": "Marketing", "roles": []string{"learner"}}, 201)
	link := s.call(t, admin, "POST", "/api/v1/users/"+newcomer["id"].(string)+"/invite", nil, 202)["link"].(string)

	p := page{t: t, ctx: newBrowser(t), axe: axe, shot: os.Getenv("UPSKILL_UPDATE_SCREENSHOTS") == "1"}
	p.run(chromedp.Navigate(link))
	p.heading("Welcome to upskill")
	p.run(chromedp.SendKeys(`#password`, "short"), chromedp.Click(`button[type=submit]`))
	p.run(chromedp.WaitVisible(`.error-summary a[href="#password"]`), chromedp.WaitVisible(`#password-error`))
	p.check("accept-invite")
	p.run(chromedp.SendKeys(`#password`, " and a long tail"),
		chromedp.SendKeys(`#confirm`, "short and a long tail"), chromedp.Click(`button[type=submit]`))
	p.heading("My learning")

	p.run(chromedp.Click(`//nav//a[normalize-space()="Settings"]`))
	p.heading("Settings")
	p.run(chromedp.WaitVisible(`#reminders`), chromedp.Click(`#reminders`), chromedp.Click(`//button[normalize-space()="Save"]`),
		chromedp.WaitVisible(`//p[@role="status"][normalize-space()="Saved."]`))
	p.check("settings")
	p.run(chromedp.Reload(), chromedp.WaitVisible(`#reminders`))
	if on := eval[bool](p, `document.getElementById('reminders').checked`); on {
		t.Error("reminders are still on after saving them off")
	}

	p.run(chromedp.Click(`//button[normalize-space()="Sign out"]`))
	p.heading("Sign in")
	p.run(chromedp.Click(`//a[normalize-space()="Forgot your password?"]`))
	p.heading("Forgot your password?")
	p.check("forgot-password")
	p.run(chromedp.SendKeys(`#email`, "ines@example.com"), chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`//h2[normalize-space()="Check your email"]`))

	p.run(chromedp.Navigate(s.url + "/reset-password#token=not-a-real-token"))
	p.heading("Choose a new password")
	p.run(chromedp.SendKeys(`#password`, "another long passphrase"), chromedp.SendKeys(`#confirm`, "another long passphrase"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`//li[starts-with(normalize-space(),"This link is not valid")]`))
	p.check("reset-password")
}
