package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A pulse for the test module and a policy for everyone.
var readinessContent = map[string]string{
	"pulses/readiness.md": "---\ntitle: AI readiness check\nfor: [fair-ai]\n---\n\nA short check-in.\n\n" +
		"## I understand how AI could help my work {#understand}\n\n## I feel secure in my role {#secure}\n\n## I know where to get help {#help}\n",
	"policies/ai-use.md": "---\ntitle: AI acceptable use\nsummary: Which AI tools we use and what never goes into them.\n---\n\n" +
		"## Approved tools\n\nUse only the tools on the approved list.\n\n## Never share\n\nNo customer data goes into an AI tool.\n",
}

// answerPulse signs in as email, starts the test module and answers the
// pulse's phase with the same figure for every statement.
func (s server) answerPulse(t *testing.T, token, phase string, v int) {
	t.Helper()
	s.call(t, token, "POST", "/api/v1/pulses/readiness/responses", map[string]any{"phase": phase,
		"answers": map[string]int{"understand": v, "secure": v, "help": v}}, 201)
}

// The second-wave pages in one story: a learner answers the readiness
// pulse, accepts the AI policy and downloads everything upskill holds about
// her; her manager sees her assignment in My team; HR reads the readiness
// report (one department shown, two hidden because they are small) and the
// adoption report; an admin exports a person's data and erases them.
func TestReadinessPrivacyPagesInBrowser(t *testing.T) {
	axe := needBrowser(t)
	s := startServerWith(t, readinessContent)
	admin := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": s.admin, "password": s.password}, 200)["access_token"].(string)
	const pw = "a long learner password"
	person := func(email, name, dept string, roles ...string) (string, string) {
		if len(roles) == 0 {
			roles = []string{"learner"}
		}
		u := s.call(t, admin, "POST", "/api/v1/users", map[string]any{"email": email, "name": name, "department": dept, "roles": roles, "password": pw}, 201)
		tok := s.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, 200)["access_token"].(string)
		return u["id"].(string), tok
	}
	start := func(tok string) {
		s.call(t, tok, "PUT", "/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 120}, 200)
	}
	// Marketing: five answered before (2) and after finishing (4); Sales and
	// Support: three each, before only — too few to show.
	for i := range 5 {
		email := fmt.Sprintf("mk%d@example.com", i)
		_, tok := person(email, fmt.Sprintf("Marketer %d", i), "Marketing")
		start(tok)
		s.answerPulse(t, tok, "before", 2)
		s.completeModule(t, email, pw)
		s.answerPulse(t, tok, "after", 4)
	}
	var erasable string
	for _, dept := range []string{"Sales", "Support"} {
		for i := range 3 {
			id, tok := person(fmt.Sprintf("%s%d@example.com", strings.ToLower(dept), i), fmt.Sprintf("%s Person %d", dept, i), dept)
			start(tok)
			s.answerPulse(t, tok, "before", 3)
			if erasable == "" {
				erasable = id
			}
		}
	}
	maxID, _ := person("max@example.com", "Max Manager", "Marketing")
	person("hana@example.com", "Hana Berg", "People", "hr")
	mayaID, mayaTok := person("maya@example.com", "Maya Lind", "Marketing")
	s.call(t, admin, "PATCH", "/api/v1/users/"+mayaID, map[string]any{"manager_id": maxID}, 200)
	s.call(t, admin, "POST", "/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{mayaID},
		"due_at": time.Now().Add(96 * time.Hour).UTC().Format(time.RFC3339)}, 201)
	start(mayaTok)

	// The learner: a pulse and a policy wait for her on My learning.
	p := page{t: t, ctx: journeyContext(t), axe: axe}
	downloads := p.allowDownloads()
	p.signIn(s.url, "maya@example.com", pw)
	p.run(chromedp.WaitVisible(`//h2[normalize-space()="Waiting for you"]`))
	p.check("my-learning-waiting")
	staffShots(p, "my-learning-waiting")
	p.run(chromedp.Click(`//a[normalize-space()="AI readiness check"]`))
	p.heading("AI readiness check")
	p.run(chromedp.WaitVisible(`#understand-1`), chromedp.Click(`#understand-4`), chromedp.Click(`//button[normalize-space()="Send my answers"]`),
		chromedp.WaitVisible(`//div[@class="error-summary"]//a[@href="#answers.secure"]`))
	p.check("pulse-errors")
	staffShots(p, "pulse-errors")
	p.run(chromedp.Click(`#secure-2`), chromedp.Click(`#help-5`), chromedp.Click(`//button[normalize-space()="Send my answers"]`),
		chromedp.WaitVisible(`//h2[normalize-space()="Thank you"]`))
	p.check("pulse-thanks")
	if got := s.call(t, mayaTok, "GET", "/api/v1/me/pulses", nil, 200)["items"].([]any); len(got) != 0 {
		t.Errorf("the pulse still waits after answering: %v", got)
	}

	p.run(chromedp.Click(`//a[normalize-space()="Back to My learning"]`))
	p.heading("My learning")
	p.run(chromedp.Click(`//a[normalize-space()="AI acceptable use"]`))
	p.heading("AI acceptable use")
	p.run(chromedp.WaitVisible(`//article//h2[normalize-space()="Never share"]`))
	p.check("policy")
	staffShots(p, "policy")
	p.run(chromedp.Click(`//button[normalize-space()="I have read and accept version 1"]`),
		chromedp.WaitVisible(`//p[@id="accepted"][starts-with(normalize-space(), "You accepted version 1 on")]`))
	p.check("policy-accepted")
	p.run(chromedp.Click(`//footer//a[normalize-space()="Policies"]`))
	p.heading("Policies")
	p.run(chromedp.WaitVisible(`//span[normalize-space()="Accepted"]`))

	p.run(chromedp.Click(`//footer//a[normalize-space()="Your data and privacy"]`))
	p.heading("Your data")
	p.check("privacy")
	staffShots(p, "privacy")
	p.run(chromedp.Click(`//button[starts-with(normalize-space(), "Download as ZIP")]`))
	waitForFile(t, downloads, ".zip", func(b []byte) error {
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return err
		}
		var names []string
		for _, f := range z.File {
			names = append(names, f.Name)
		}
		all := strings.Join(names, " ")
		for _, want := range []string{"profile.json", "profile.csv", "pulse_answers.json", "policy_acknowledgements.csv"} {
			if !strings.Contains(all, want) {
				return fmt.Errorf("the export lacks %s: %s", want, all)
			}
		}
		return nil
	})
	p.run(chromedp.Click(`//button[normalize-space()="Download as one JSON file"]`))
	waitForFile(t, downloads, ".json", func(b []byte) error {
		var ex struct {
			UserID string                      `json:"user_id"`
			Kinds  map[string][]map[string]any `json:"kinds"`
		}
		if err := json.Unmarshal(b, &ex); err != nil {
			return err
		}
		if ex.UserID != mayaID || len(ex.Kinds["profile"]) != 1 || ex.Kinds["profile"][0]["email"] != "maya@example.com" {
			return fmt.Errorf("not Maya's export: %s", b[:min(len(b), 300)])
		}
		return nil
	})

	// Her manager sees her assignment, and My team only because he has reports.
	m := page{t: t, ctx: journeyContext(t), axe: axe}
	m.signIn(s.url, "max@example.com", pw)
	m.run(chromedp.Click(`//nav//a[normalize-space()="My team"]`))
	m.heading("My team")
	m.run(chromedp.WaitVisible(`//h2[normalize-space()="Maya Lind"]`), chromedp.WaitVisible(`//td[@data-label="Module"][starts-with(normalize-space(), "Fair AI in campaigns")]`))
	if n := eval[int](m, `document.querySelectorAll('table.data tbody tr').length`); n != 1 {
		t.Errorf("My team shows %d assignments, want 1", n)
	}
	if body := eval[string](m, `document.querySelector('main').innerText`); strings.Contains(body, "score") && !strings.Contains(body, "never scores") {
		t.Errorf("My team mentions scores: %s", body)
	}
	m.check("team")
	staffShots(m, "team")
	l := page{t: t, ctx: journeyContext(t), axe: axe}
	l.signIn(s.url, "mk0@example.com", pw)
	if n := eval[int](l, `[...document.querySelectorAll('nav a')].filter(a => a.textContent.trim() === 'My team').length`); n != 0 {
		t.Errorf("someone without reports sees My team in the menu")
	}

	// HR: readiness with two small departments hidden, and adoption.
	h := page{t: t, ctx: journeyContext(t), axe: axe}
	h.signIn(s.url, "hana@example.com", pw)
	h.run(chromedp.Click(`//nav//a[normalize-space()="Readiness"]`))
	h.heading("Readiness and adoption")
	h.run(chromedp.WaitVisible(`select#pulse`), chromedp.WaitReady(`//select[@id="pulse"]/option[normalize-space()="AI readiness check"]`))
	h.choose(`#pulse`, "readiness")
	h.run(chromedp.Click(`//button[normalize-space()="Show readiness"]`))
	for i := 0; eval[int](h, `document.querySelectorAll('[aria-label="Readiness by department"] tbody tr').length`) == 0; i++ {
		if i == 100 {
			t.Fatalf("no readiness table: %s", eval[string](h, `document.querySelector('main').innerText`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows := eval[[]string](h, `[...document.querySelectorAll('[aria-label="Readiness by department"] tbody tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
	want := []string{
		// Maya answered 4, 2 and 5 before: Marketing's mean before is (5×3×2 + 11) / 18.
		"Whole company 12 5 5 2.64 4.00 +1.36",
		"Marketing 6 5 5 2.28 4.00 +1.72",
		"Sales 3 0 0 fewer than 5 people — hidden to protect privacy",
		"Support 3 0 0 fewer than 5 people — hidden to protect privacy",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("readiness rows:\n%s\nwant:\n%s\npage: %s", strings.Join(rows, "\n"), strings.Join(want, "\n"),
			eval[string](h, `document.querySelector('main').innerText`))
	}
	h.run(chromedp.WaitVisible(`//h2[normalize-space()="Adoption by department and week"]`),
		chromedp.WaitVisible(`//div[@aria-label="Adoption by department and week"]//th[normalize-space()="Marketing"]/following-sibling::td[2][normalize-space()="5"]`))
	h.run(chromedp.Click(`//button[normalize-space()="Show policies"]`), chromedp.WaitVisible(`//h3[normalize-space()="Not accepted yet (14)"]`))
	h.check("readiness")
	staffShots(h, "readiness")
	hrFiles := h.allowDownloads()
	h.run(chromedp.Click(`//button[starts-with(normalize-space(), "CSV")][contains(., "(readiness)")]`))
	waitForFile(t, hrFiles, ".csv", func(b []byte) error {
		text := strings.TrimPrefix(string(b), "\ufeff")
		if !strings.HasPrefix(text, "pulse,level,group,") || !strings.Contains(text, "readiness,department,Sales,3,0,0,true,") {
			return fmt.Errorf("not the readiness CSV with Sales hidden: %.300s", text)
		}
		return nil
	})
	h.run(chromedp.Click(`//button[starts-with(normalize-space(), "CSV")][contains(., "(adoption)")]`))
	waitForFile(t, hrFiles, ".csv", func(b []byte) error {
		if !strings.Contains(string(b), "department,week,") {
			return errors.New("not the adoption CSV")
		}
		return nil
	})

	// The admin exports a person's data, then erases them.
	a := page{t: t, ctx: journeyContext(t), axe: axe}
	adl := a.allowDownloads()
	a.signIn(s.url, s.admin, s.password)
	a.run(chromedp.Navigate(s.url + "/admin/users/" + erasable))
	a.heading("Roles: Sales Person 0")
	a.run(chromedp.Click(`//button[normalize-space()="Export data (ZIP)"]`))
	waitForFile(t, adl, ".zip", func(b []byte) error {
		_, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		return err
	})
	a.run(chromedp.Click(`//button[normalize-space()="Erase personal data…"]`),
		chromedp.WaitVisible(`#erase-reason-error`))
	a.check("admin-erase-error")
	a.run(chromedp.SendKeys(`#erase-reason`, "Erasure request 2026-41"), chromedp.Click(`//button[normalize-space()="Erase personal data…"]`),
		chromedp.WaitVisible(`//h4[normalize-space()="Erase Sales Person 0's personal data?"]`))
	a.check("admin-erase-confirm")
	staffShots(a, "admin-erase-confirm")
	a.run(chromedp.Click(`//button[normalize-space()="Yes, erase"]`), chromedp.WaitVisible(`#erased`))
	pseudonym := eval[string](a, `document.querySelector('#erased code').textContent`)
	if !strings.HasPrefix(pseudonym, "erased-") {
		t.Errorf("pseudonym shown: %q", pseudonym)
	}
	a.heading("Roles: " + pseudonym)
	a.check("admin-erased")
	staffShots(a, "admin-erase")
	got := s.call(t, admin, "GET", "/api/v1/users/"+erasable, nil, 200)
	if got["name"] != pseudonym {
		t.Errorf("after erasure the user is %v", got)
	}
	if err := loginFails(s, "sales0@example.com", pw); err != nil {
		t.Error(err)
	}
}

// loginFails says whether signing in with the password is refused.
func loginFails(s server, email, password string) error {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(s.url+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return errors.New(email + " still signs in after erasure")
	}
	return nil
}
