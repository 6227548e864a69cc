package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/spf13/pflag"
	"github.com/xuri/excelize/v2"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
)

// shots takes the HR pages' screenshots at desktop and phone (360 px)
// width when UPSKILL_UPDATE_SCREENSHOTS=1.
func (p page) shots(name string) {
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

// choose sets a select's (or input's) value the way a person does, firing
// the events the app listens to.
func (p page) choose(sel, value string) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value))
}

// allowDownloads saves the browser's downloads in a new directory.
func (p page) allowDownloads() string {
	p.t.Helper()
	dir := p.t.TempDir()
	p.run(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	return dir
}

// waitForFile waits for a finished download named *ext that ok accepts.
func waitForFile(t *testing.T, dir, ext string, ok func([]byte) error) []byte {
	t.Helper()
	var last error
	for range 150 {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil {
					if last = ok(b); last == nil {
						return b
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no good %s download (last problem: %v)", ext, last)
	return nil
}

// HR imports staff from a CSV file with one bad line, sees that line,
// fixes it, assigns the module to the new department with a due date, and
// downloads the report as CSV and XLSX holding exactly those people.
func TestHRJourneyInBrowser(t *testing.T) {
	axe := needBrowser(t)
	s := startServer(t)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "hana@example.com", "name": "Hana Berg",
		"department": "People", "roles": []string{"hr"}, "password": "a long password for hr"}, 201)
	// Marketing: one learner completed the module, one is overdue, so the
	// summary and "overdue now" have something to show.
	olli := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "other@example.com", "name": "Olli Other",
		"department": "Marketing", "roles": []string{"learner"}}, 201)
	mia := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "mia@example.com", "name": "Mia Nord",
		"department": "Marketing", "roles": []string{"learner"}, "password": "a long learner password"}, 201)
	s.call(t, admin, "POST", "/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{olli["id"].(string), mia["id"].(string)},
		"due_at": time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339), "allow_past_due": true}, 201)
	s.completeModule(t, "mia@example.com", "a long learner password")
	// A follow-up module that opens only after the first.
	s.call(t, admin, "PUT", "/api/v1/modules/fair-ai-advanced", map[string]any{"files": map[string]string{
		"module.md": "---\ntitle: Fair AI, advanced\nsummary: Audits at scale.\ntopics: [ethics]\nlevel: advanced\n" +
			"prerequisites: [fair-ai]\n---\n\nAfter the basics.\n",
		"lessons/01-scale.md": "# At scale\n\nAudit every campaign, not a sample.\n",
	}}, 201)

	files := t.TempDir()
	bad := filepath.Join(files, "staff.csv")
	good := filepath.Join(files, "staff-fixed.csv")
	head := "email,name,department,employee_id\n"
	rows := []string{"ada@example.com,Ada Lind,Sales,S1\n", "ben.example.com,Ben Holm,Sales,S2\n", "cleo@example.com,Cleo Sand,Sales,S3\n"}
	if err := os.WriteFile(bad, []byte(head+strings.Join(rows, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	rows[1] = "ben@example.com,Ben Holm,Sales,S2\n"
	if err := os.WriteFile(good, []byte(head+strings.Join(rows, "")), 0o644); err != nil {
		t.Fatal(err)
	}

	p := page{t: t, ctx: newBrowser(t), axe: axe}
	downloads := p.allowDownloads()
	p.run(chromedp.Navigate(s.url + "/sign-in"))
	p.heading("Sign in")
	p.run(chromedp.SendKeys(`#email`, "hana@example.com"), chromedp.SendKeys(`#password`, "a long password for hr"),
		chromedp.Click(`button[type=submit]`))
	p.heading("My learning")

	// People: the import refuses the file, naming line 3.
	p.run(chromedp.Click(`//nav//a[normalize-space()="People"]`))
	p.heading("People")
	p.run(chromedp.WaitVisible(`//th[starts-with(normalize-space(),"Olli Other")]`))
	p.run(chromedp.SetUploadFiles(`#csv-file`, []string{bad}), chromedp.Click(`//button[normalize-space()="Import"]`))
	p.run(chromedp.WaitVisible(`//ul[@class="bad-lines"]/li[starts-with(normalize-space(),"Line 3:")]`))
	if n := eval[int](p, `document.querySelectorAll('.bad-lines li').length`); n != 1 {
		t.Errorf("%d bad lines shown, want 1", n)
	}
	p.check("people-import-errors")
	p.shots("people-import-errors")
	p.run(chromedp.SetUploadFiles(`#csv-file`, []string{good}), chromedp.Click(`//button[normalize-space()="Import"]`))
	p.run(chromedp.WaitVisible(`//p[@role="status"][starts-with(normalize-space(),"Imported: 3 created")]`))
	p.run(chromedp.WaitVisible(`//th[starts-with(normalize-space(),"Cleo Sand")]`))
	p.run(chromedp.WaitReady(`//select[@id="department"]/option[@value="Sales"]`))
	p.choose(`#department`, "Sales")
	p.run(chromedp.Click(`//button[normalize-space()="Search"]`))
	p.run(chromedp.WaitNotPresent(`//th[starts-with(normalize-space(),"Olli Other")]`))
	// No mail relay here: a department's invitations say why they cannot go,
	// and one person's invitation link is shown to pass on.
	p.run(chromedp.Click(`//button[starts-with(normalize-space(),"Invite everyone in Sales")]`),
		chromedp.WaitVisible(`//div[@role="alert"]/p[contains(.,"mail")]`))
	p.run(chromedp.Click(`//tr[th[starts-with(normalize-space(),"Ada Lind")]]//button[starts-with(normalize-space(),"Invite")]`),
		chromedp.WaitVisible(`//tr[th[starts-with(normalize-space(),"Ada Lind")]]//p[@role="status"][contains(.,"pass this link on")]`))
	p.run(chromedp.Click(`//tr[th[starts-with(normalize-space(),"Cleo Sand")]]//button[starts-with(normalize-space(),"Disable")]`),
		chromedp.WaitVisible(`//th[starts-with(normalize-space(),"Cleo Sand")]/span[.="Disabled"]`))
	p.run(chromedp.Click(`//tr[th[starts-with(normalize-space(),"Cleo Sand")]]//button[starts-with(normalize-space(),"Re-enable")]`),
		chromedp.WaitNotPresent(`//th[starts-with(normalize-space(),"Cleo Sand")]/span[.="Disabled"]`))
	p.check("people")
	p.shots("people")

	// Assignments: the module to Sales, due in three weeks.
	due := time.Now().AddDate(0, 0, 21).Format("2006-01-02")
	p.run(chromedp.Click(`//nav//a[normalize-space()="Assignments"]`))
	p.heading("Assignments")
	p.run(chromedp.WaitReady(`//select[@id="module"]/option[@value="fair-ai"]`), chromedp.WaitVisible(`//label[starts-with(normalize-space(),"Sales")]`))
	p.run(chromedp.Click(`//button[normalize-space()="Assign"]`))
	p.run(chromedp.WaitVisible(`#module-error`), chromedp.WaitVisible(`#departments-error`)) // field errors beside the fields
	p.choose(`#module`, "fair-ai")
	p.run(chromedp.Click(`//label[starts-with(normalize-space(),"Sales")]`))
	p.choose(`#due_at`, due)
	p.run(chromedp.Click(`//button[normalize-space()="Assign"]`))
	p.run(chromedp.WaitVisible(`//div[@role="status"]/p[starts-with(normalize-space(),"Assigned to 3 people")]`))
	p.run(chromedp.WaitVisible(`//th[starts-with(normalize-space(),"Ada Lind")]`))
	// A module with a prerequisite: a warning first, and afterwards how
	// many cannot start it yet.
	p.choose(`#module`, "fair-ai-advanced")
	p.run(chromedp.WaitVisible(`//h3[normalize-space()="This module has prerequisites"]`), chromedp.Click(`//button[normalize-space()="Assign"]`),
		chromedp.WaitVisible(`.error-summary a[href="#prereq-confirm"]`))
	p.run(chromedp.Click(`#prereq-ok`), chromedp.Click(`//button[normalize-space()="Assign"]`),
		chromedp.WaitVisible(`//div[@role="status"]/p[starts-with(normalize-space(),"3 of them cannot start yet")]`))
	p.choose(`#module`, "fair-ai")
	// A standing rule for a department nobody is in yet.
	p.run(chromedp.Click(`//label[starts-with(normalize-space(),"Sales")]`), chromedp.Click(`#due-rule`),
		chromedp.SendKeys(`#new-department`, "Field Sales"), chromedp.Click(`//button[normalize-space()="Assign"]`),
		chromedp.WaitVisible(`//div[@role="status"]/p[starts-with(normalize-space(),"Assigned to 0 people")]`),
		chromedp.WaitVisible(`//th[normalize-space()="Field Sales"]`))
	p.check("assignments")
	p.shots("assignments")
	p.run(chromedp.Click(`//tr[th[normalize-space()="Field Sales"]]//button[starts-with(normalize-space(),"End rule")]`),
		chromedp.WaitNotPresent(`//th[normalize-space()="Field Sales"]`))

	// Reports: the preview, the summary, and the downloads.
	p.run(chromedp.Click(`//nav//a[normalize-space()="Reports"]`))
	p.heading("Reports")
	p.run(chromedp.WaitReady(`//select[@id="r-department"]/option[@value="Sales"]`))
	p.choose(`#r-department`, "Sales")
	p.choose(`#r-module`, "fair-ai")
	p.run(chromedp.Click(`//button[normalize-space()="Show report"]`))
	p.run(chromedp.WaitVisible(`//p[@id="rows-shown"][contains(.,"department Sales; module Fair AI in campaigns")]`), chromedp.WaitVisible(`.chart svg rect.chart-bar`))
	if n := eval[int](p, `document.querySelectorAll('section[aria-labelledby="report-h"] tbody tr').length`); n != 3 {
		t.Errorf("report preview shows %d rows, want 3", n)
	}
	p.check("reports")
	p.shots("reports")

	want := []string{"ada@example.com", "ben@example.com", "cleo@example.com"}
	checkRows := func(rows [][]string) error {
		if len(rows) != 4 {
			return fmt.Errorf("%d rows, want a header and 3", len(rows))
		}
		col := slices.Index(rows[0], "email")
		mod := slices.Index(rows[0], "module")
		dueCol := slices.Index(rows[0], "due_at")
		if col < 0 || mod < 0 || dueCol < 0 {
			return fmt.Errorf("header %v", rows[0])
		}
		var got []string
		for _, r := range rows[1:] {
			if r[mod] != "fair-ai" || !strings.HasPrefix(r[dueCol], due[:4]) {
				return fmt.Errorf("row %v", r)
			}
			got = append(got, r[col])
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("emails %v, want %v", got, want)
		}
		return nil
	}
	p.run(chromedp.Click(`//button[normalize-space()="CSV"]`))
	waitForFile(t, downloads, ".csv", func(b []byte) error {
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil {
			return err
		}
		return checkRows(rows)
	})
	p.run(chromedp.Click(`//button[normalize-space()="Excel (XLSX)"]`))
	waitForFile(t, downloads, ".xlsx", func(b []byte) error {
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			return err
		}
		return checkRows(rows)
	})
}

// completeModule signs in as email, reads every lesson of the test module
// and passes its quiz, picking the choices whose text starts with "Right".
func (s server) completeModule(t *testing.T, email, password string) {
	t.Helper()
	tok := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, 200)["access_token"].(string)
	for _, l := range []string{"intro", "practice", "wrap-up"} {
		s.call(t, tok, "PUT", "/api/v1/modules/fair-ai/lessons/"+l+"/progress", map[string]any{"completed": true, "seconds_spent": 60}, 200)
	}
	at := s.call(t, tok, "POST", "/api/v1/modules/fair-ai/attempts", nil, 201)
	answers := map[string][]string{}
	for _, q := range at["questions"].([]any) {
		q := q.(map[string]any)
		for _, c := range q["choices"].([]any) {
			c := c.(map[string]any)
			if strings.Contains(c["text_html"].(string), "Right") {
				answers[q["id"].(string)] = append(answers[q["id"].(string)], c["id"].(string))
			}
		}
	}
	if res := s.call(t, tok, "POST", "/api/v1/attempts/"+at["id"].(string)+"/submit", map[string]any{"answers": answers}, 200); res["passed"] != true {
		t.Fatalf("quiz not passed: %v", res)
	}
}

// restartable is the application on a fixed address that a test can stop
// and start again over the same data, as after a deployment.
type restartable struct {
	t    *testing.T
	dir  string
	addr string
	url  string
	stop func()
}

func startRestartable(t *testing.T) *restartable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, dir: t.TempDir(), addr: ln.Addr().String()}
	r.url = "http://" + r.addr
	r.serve(ln)
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *restartable) serve(ln net.Listener) {
	r.t.Helper()
	env := map[string]string{
		"UPSKILL_DATA_DIR": filepath.Join(r.dir, "data"), "UPSKILL_CONTENT_DIR": filepath.Join(r.dir, "content"),
		"UPSKILL_BASE_URL": r.url, "UPSKILL_ADMIN_EMAIL": "admin@example.com",
		"UPSKILL_ADMIN_PASSWORD": "correct horse battery staple", "UPSKILL_SHUTDOWN_TIMEOUT": "5s",
	}
	if err := os.MkdirAll(env["UPSKILL_CONTENT_DIR"], 0o755); err != nil {
		r.t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	config.Bind(fs)
	cfg, err := config.Load(fs, func(k string) string { return env[k] })
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		r.t.Fatal(err)
	}
	if err := a.Bootstrap(ctx, io.Discard, false); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	r.stop = func() {
		cancel()
		<-done
		a.Close()
		r.stop = func() {}
	}
}

// restart stops the server and starts it again on the same address.
func (r *restartable) restart() {
	r.t.Helper()
	r.stop()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

// A learner's access token stops working mid-session (the server came
// back with a new signing key, as after a key rotation): the next action
// gets a 401, the app refreshes exactly once with the cookie, and the
// action completes. A learner's navigation holds no HR pages, and an HR
// address shows "Not allowed" rather than a blank page.
func TestRefreshOnceAfter401InBrowser(t *testing.T) {
	needBrowser(t)
	r := startRestartable(t)
	s := server{url: r.url, admin: "admin@example.com", password: "correct horse battery staple"}
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": "lea@example.com", "name": "Lea Park",
		"department": "Marketing", "roles": []string{"learner"}, "password": "a long learner password"}, 201)

	p := page{t: t, ctx: newBrowser(t)}
	p.run(chromedp.Navigate(s.url + "/sign-in"))
	p.heading("Sign in")
	p.run(chromedp.SendKeys(`#email`, "lea@example.com"), chromedp.SendKeys(`#password`, "a long learner password"),
		chromedp.Click(`button[type=submit]`))
	p.heading("My learning")
	nav := eval[[]string](p, `[...document.querySelectorAll('nav[aria-label="Main"] a')].map(a => a.textContent.trim())`)
	if !slices.Equal(nav, []string{"My learning", "My records", "Settings"}) {
		t.Errorf("a learner's navigation = %v", nav)
	}
	p.run(chromedp.Navigate(s.url + "/reports"))
	p.heading("Not allowed")
	p.run(chromedp.WaitVisible(`//div[@role="alert"]/p[contains(.,"does not allow")]`))

	p.run(chromedp.Click(`//nav//a[normalize-space()="Settings"]`))
	p.heading("Settings")
	p.run(chromedp.WaitVisible(`#reminders`))

	// The server comes back with a new signing key: the token in the
	// page's memory no longer verifies, the refresh cookie still works.
	if err := os.Remove(filepath.Join(r.dir, "data", "jwt-signing.pem")); err != nil {
		t.Fatal(err)
	}
	r.restart()

	eval[bool](p, `(() => { window.__calls = []; const f = window.fetch;
		window.fetch = async (...a) => { const res = await f(...a);
			window.__calls.push((a[1]?.method ?? 'GET') + ' ' + String(a[0]) + ' ' + res.status); return res; };
		return true; })()`)
	p.run(chromedp.Click(`#reminders`), chromedp.Click(`//button[normalize-space()="Save"]`),
		chromedp.WaitVisible(`//p[@role="status"][normalize-space()="Saved."]`))
	calls := eval[[]string](p, `window.__calls`)
	want := []string{"PUT /api/v1/me/notifications 401", "POST /api/v1/auth/refresh 200", "PUT /api/v1/me/notifications 200"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
	learner := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": "lea@example.com", "password": "a long learner password"}, 200)["access_token"].(string)
	if on := s.call(t, learner, "GET", "/api/v1/me/notifications", nil, 200)["reminders"]; on != false {
		t.Errorf("reminders = %v after the save", on)
	}
}
