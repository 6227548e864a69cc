package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/evidence"
	"github.com/upskill/upskill/internal/evidence/evidencetest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/outbound"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// newEvidenceEnv is newTestEnv with evidence options (the allow-list, an
// LRS) and a dispatcher delivering webhooks and statements on the test
// clock, driven by the test.
func newEvidenceEnv(t *testing.T, db *store.DB, evOpt evidence.Options) (*testEnv, *outbox.Dispatcher) {
	t.Helper()
	_, jwtKey, _ := ed25519.GenerateKey(rand.Reader)
	_, recKey, _ := ed25519.GenerateKey(rand.Reader)
	jwtSet, _ := keys.NewSet(jwtKey)
	recSet, _ := keys.NewSet(recKey)
	clk := clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	logs := &apitest.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	if evOpt.Policy == nil {
		evOpt.Policy = outbound.MustParse("127.0.0.1")
	}
	set := services.New(db, services.Options{BaseURL: testBaseURL, JWTKeys: jwtSet, RecordKeys: recSet,
		Params: cheapParams, Now: clk.Now, Log: log, Evidence: evOpt})
	srv, err := New(Options{BaseURL: testBaseURL}, Deps{DB: db, Log: log, Identity: set.Identity, RecordKeys: recSet,
		Catalog: set.Catalog, Learning: set.Learning, Assignments: set.Assignments, Reports: set.Reports,
		Reminders: set.Reminders, Evidence: set.Evidence})
	if err != nil {
		t.Fatal(err)
	}
	d := outbox.NewDispatcher(db, outbox.Options{Now: clk.Now, BaseBackoff: time.Minute, Timeout: 10 * time.Second})
	d.Register(evidence.TargetWebhook, set.Evidence.WebhookDeliverer())
	if set.Evidence.XAPIEnabled() {
		d.Register(evidence.TargetXAPI, set.Evidence.XAPIDeliverer())
	}
	e := &testEnv{t: t, db: db, srv: srv, ids: set.Identity, jwtKey: jwtKey, clock: clk, logs: logs,
		c: apitest.NewClient(t, srv.Handler()), password: "correct horse battery staple"}
	return e, d
}

// drain runs the dispatcher until nothing is pending, moving the test
// clock past each backoff; between rounds it calls between (a receiver
// coming back, say). It fails the test if rows stay pending.
func drain(t *testing.T, e *testEnv, d *outbox.Dispatcher, between func(round int)) {
	t.Helper()
	for round := 0; round < 60; round++ {
		deliverAll(t, d)
		var pending int64
		if err := e.db.R.Model(&outbox.Row{}).Where("status = ?", outbox.Pending).Count(&pending).Error; err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if between != nil {
			between(round)
		}
		e.clock.Advance(2 * time.Hour) // past any backoff (capped at 1h)
	}
	t.Fatal("deliveries still pending after 60 rounds")
}

// receiver is a webhook endpoint that records every request and fails
// while down.
type receiver struct {
	mu       sync.Mutex
	down     bool
	got      []delivery // accepted deliveries, in arrival order
	refused  int
	redirect string
}

type delivery struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.redirect != "" {
		http.Redirect(w, req, r.redirect, http.StatusFound)
		return
	}
	if r.down {
		r.refused++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.got = append(r.got, delivery{Headers: map[string]string{
		"webhook-id": req.Header.Get("webhook-id"), "webhook-timestamp": req.Header.Get("webhook-timestamp"),
		"webhook-signature": req.Header.Get("webhook-signature")}, Body: string(body)})
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) setDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

// Every event reaches a webhook endpoint that fails for a while: signed
// by the Standard Webhooks scheme (checked by the standardwebhooks npm
// package), each under one id however often it was tried, in order per
// learner; a rotated secret and the old one both sign for a day.
func TestWebhooksDeliverEveryEventSignedAndInOrder(t *testing.T) {
	evidencetest.Require(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, d := newEvidenceEnv(t, db, evidence.Options{})
		rcv := &receiver{down: true}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		admin, adminUser := e.as(identity.RoleAdmin)
		hr, _ := e.as(identity.RoleHR)
		var hook evidence.Webhook
		admin.Post("/api/v1/admin/webhooks", map[string]any{"url": srv.URL + "/hooks",
			"events": []string{"record.issued", "record.revoked", "assignment.created", "attempt.submitted"}}).
			Want(t, http.StatusCreated).Decode(t, &hook)
		if !strings.HasPrefix(hook.Secret, "whsec_") {
			t.Fatalf("secret %q", hook.Secret)
		}
		secrets := []string{hook.Secret}

		publishCourse(t, e, "fair-ai", "Fair AI")
		alice, alUser := e.as()
		bob, bobUser := e.as()
		hr.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{alUser.ID, bobUser.ID},
			"due_at": rfc(e.clock.Now().Add(14 * 24 * time.Hour))}).Want(t, http.StatusCreated)
		var records = map[string]string{}
		for _, c := range []*apitest.Client{alice, bob} {
			finishLessons(t, c, "fair-ai")
			a := openAttempt(t, c, "fair-ai")
			c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK)
			// Delivery is attempted (and fails) between the events.
			deliverAll(t, d)
			var res resultBody
			b := openAttempt(t, c, "fair-ai")
			c.Post("/api/v1/attempts/"+b.ID+"/submit", b.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
			records[res.Completion.UserID] = res.Completion.ID
		}
		admin.Post("/api/v1/records/"+records[alUser.ID]+"/revoke", map[string]any{"reason": "test"}).Want(t, http.StatusOK)
		deliverAll(t, d)

		// Rotation while deliveries wait: both secrets sign from now on.
		var rotated evidence.Webhook
		admin.Post("/api/v1/admin/webhooks/"+hook.ID+"/rotate-secret", nil).Want(t, http.StatusOK).Decode(t, &rotated)
		if rotated.Secret == hook.Secret || rotated.PreviousValidUntil == nil {
			t.Fatalf("rotation: %+v", rotated)
		}
		secrets = append(secrets, rotated.Secret)
		var listed struct {
			Items []evidence.Webhook `json:"items"`
		}
		admin.Get("/api/v1/admin/webhooks").Want(t, http.StatusOK).Decode(t, &listed)
		if len(listed.Items) != 1 || listed.Items[0].Secret != "" {
			t.Fatalf("listing shows a secret or the wrong endpoints: %+v", listed)
		}

		drain(t, e, d, func(round int) {
			if round == 2 {
				rcv.setDown(false) // back after a few failed rounds
			}
		})
		if rcv.refused == 0 {
			t.Fatal("the receiver never refused: the outage was not exercised")
		}

		// Exactly the events, each once, in order per learner.
		want := []string{"assignment.created", "attempt.submitted", "attempt.submitted", "record.issued"}
		byUser := map[string][]string{}
		seen := map[string]bool{}
		for _, g := range rcv.got {
			var body evidence.WebhookBody
			if err := json.Unmarshal([]byte(g.Body), &body); err != nil {
				t.Fatal(err)
			}
			if seen[g.Headers["webhook-id"]] {
				t.Fatalf("event %s arrived twice", g.Headers["webhook-id"])
			}
			seen[g.Headers["webhook-id"]] = true
			if body.ID != g.Headers["webhook-id"] {
				t.Fatalf("body id %s, header %s", body.ID, g.Headers["webhook-id"])
			}
			if n := len(strings.Fields(g.Headers["webhook-signature"])); n != 2 {
				t.Fatalf("%d signatures during the rotation overlap, want 2", n)
			}
			uid, _ := body.Data["user_id"].(string)
			byUser[uid] = append(byUser[uid], body.Type)
		}
		if got := byUser[alUser.ID]; !slices.Equal(got, append(slices.Clone(want), "record.revoked")) {
			t.Fatalf("alice's events arrived as %v", got)
		}
		if got := byUser[bobUser.ID]; !slices.Equal(got, want) {
			t.Fatalf("bob's events arrived as %v", got)
		}

		// The independent check: every delivery verifies with the old
		// secret (within the overlap) and with the new one.
		for _, s := range secrets {
			var report struct {
				Verified int   `json:"verified"`
				Failures []any `json:"failures"`
			}
			if !evidencetest.Run(t, "webhooks.mjs", map[string]any{"secrets": []string{s}, "deliveries": rcv.got}, &report) {
				t.Fatalf("standardwebhooks refused deliveries: %+v", report.Failures)
			}
			if report.Verified != len(rcv.got) {
				t.Fatalf("verified %d of %d", report.Verified, len(rcv.got))
			}
		}
		// A wrong secret verifies nothing.
		var bad struct {
			Verified int `json:"verified"`
		}
		if evidencetest.Run(t, "webhooks.mjs", map[string]any{"secrets": []string{"whsec_" + strings.Repeat("A", 43) + "="}, "deliveries": rcv.got}, &bad) || bad.Verified != 0 {
			t.Fatalf("a wrong secret verified %d deliveries", bad.Verified)
		}

		// After the overlap, only the new secret signs.
		e.clock.Advance(evidence.RotationOverlap)
		rcv.mu.Lock()
		rcv.got = nil
		rcv.mu.Unlock()
		carol, _ := e.as()
		finishLessons(t, carol, "fair-ai")
		a := openAttempt(t, carol, "fair-ai")
		carol.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK)
		drain(t, e, d, nil)
		if len(rcv.got) != 1 || len(strings.Fields(rcv.got[0].Headers["webhook-signature"])) != 1 {
			t.Fatalf("after the overlap: %+v", rcv.got)
		}

		// Deleting the endpoint: its waiting deliveries fail, none is sent.
		rcv.setDown(true)
		admin = e.c.As(e.token(adminUser)) // the clock moved past the old token
		carol.Post("/api/v1/attempts/"+openAttempt(t, carol, "fair-ai").ID+"/submit", map[string]any{"answers": map[string]any{}}).Want(t, http.StatusOK)
		admin.Delete("/api/v1/admin/webhooks/"+hook.ID).Want(t, http.StatusNoContent)
		admin.Delete("/api/v1/admin/webhooks/"+hook.ID).Want(t, http.StatusNotFound)
		drain(t, e, d, nil)
		var failed []outbox.Row
		e.db.R.Where("status = ? AND target = ?", outbox.Failed, evidence.TargetWebhook).Find(&failed)
		if len(failed) != 1 || !strings.Contains(failed[0].LastError, "deleted") {
			t.Fatalf("deliveries of a deleted endpoint: %+v", failed)
		}
	})
}

// Webhook targets on loopback, private ranges, link-local, or redirecting
// there are refused unless listed in UPSKILL_OUTBOUND_ALLOW.
func TestWebhookTargetsAreGuarded(t *testing.T) {
	e, d := newEvidenceEnv(t, storetest.SQLite(t), evidence.Options{Policy: outbound.MustParse("127.0.0.1, hooks.internal")})
	admin, _ := e.as(identity.RoleAdmin)
	for _, u := range []string{
		"http://example.com/hook",          // http to a host nobody listed
		"https://127.0.0.2/hook",           // loopback, not the listed address
		"https://localhost/hook",           // a loopback name
		"https://10.1.2.3/hook",            // private
		"https://192.168.1.10/hook",        // private
		"https://172.16.0.1/hook",          // private
		"https://169.254.169.254/latest",   // link-local (cloud metadata)
		"https://[::1]/hook",               // IPv6 loopback
		"https://[fe80::1]/hook",           // IPv6 link-local
		"https://[fd00::1]/hook",           // IPv6 unique local
		"https://[::ffff:10.0.0.1]/hook",   // IPv4-mapped private
		"https://100.64.0.1/hook",          // shared address space
		"ftp://example.com/hook",           // not http(s)
		"https://user:pw@example.com/hook", // credentials in the URL
	} {
		res := admin.Post("/api/v1/admin/webhooks", map[string]any{"url": u, "events": []string{"record.issued"}}).Want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(res.Body), `"url"`) {
			t.Fatalf("%s: the refusal does not name url: %s", u, res.Body)
		}
	}
	admin.Post("/api/v1/admin/webhooks", map[string]any{"url": "https://hooks.example.com/x", "events": []string{"nope"}}).Want(t, http.StatusUnprocessableEntity)
	// Listed: allowed, over http too.
	admin.Post("/api/v1/admin/webhooks", map[string]any{"url": "http://hooks.internal/x", "events": []string{"record.issued"}}).Want(t, http.StatusCreated)

	// A listed endpoint that redirects inward: the redirect is not
	// followed, and the inner target never hears of it.
	inner := &receiver{}
	innerSrv := httptest.NewServer(inner)
	defer innerSrv.Close()
	outer := &receiver{redirect: strings.Replace(innerSrv.URL, "127.0.0.1", "localhost", 1) + "/inner"}
	outerSrv := httptest.NewServer(outer)
	defer outerSrv.Close()
	var hook evidence.Webhook
	admin.Post("/api/v1/admin/webhooks", map[string]any{"url": outerSrv.URL, "events": []string{"assignment.created"}}).
		Want(t, http.StatusCreated).Decode(t, &hook)
	publishCourse(t, e, "fair-ai", "Fair AI")
	_, u := e.as()
	admin.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{u.ID},
		"due_at": rfc(e.clock.Now().Add(48 * time.Hour))}).Want(t, http.StatusCreated)
	deliverAll(t, d)
	var rows []outbox.Row
	e.db.R.Where("target = ?", evidence.TargetWebhook).Find(&rows)
	if len(rows) != 1 || rows[0].Status != outbox.Pending || !strings.Contains(rows[0].LastError, "302") {
		t.Fatalf("a redirecting endpoint: %+v", rows)
	}
	if len(inner.got) != 0 {
		t.Fatal("the redirect was followed")
	}
}

// lrs is a Learning Record Store as far as upskill uses one: PUT
// /xapi/statements?statementId= with Basic auth and the version header,
// 204 when stored (or already stored, identical), 409 for a different
// statement under a known id. It can fail before storing, or store and
// then fail (the answer lost on the way back).
type lrs struct {
	mu          sync.Mutex
	byID        map[string]json.RawMessage
	order       []string
	failBefore  int // the next n requests fail before storing
	failAfter   int // the next n requests store, then fail
	badRequests []string
}

func (l *lrs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	user, pass, ok := r.BasicAuth()
	switch {
	case !ok || user != "lrs-key" || pass != "lrs-secret":
		w.WriteHeader(http.StatusUnauthorized)
		return
	case r.Header.Get("X-Experience-API-Version") != "1.0.3", r.Method != http.MethodPut, r.URL.Path != "/xapi/statements":
		l.badRequests = append(l.badRequests, r.Method+" "+r.URL.String()+" "+r.Header.Get("X-Experience-API-Version"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if l.failBefore > 0 {
		l.failBefore--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id := r.URL.Query().Get("statementId")
	body, _ := io.ReadAll(r.Body)
	var st struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &st) != nil || st.ID != id {
		l.badRequests = append(l.badRequests, "id mismatch "+id)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if prev, ok := l.byID[id]; ok {
		if string(prev) != string(body) {
			w.WriteHeader(http.StatusConflict)
			return
		}
	} else {
		l.byID[id] = body
		l.order = append(l.order, id)
	}
	if l.failAfter > 0 {
		l.failAfter--
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// xAPI: a pass, a fail and a completion become ADL statements that pass
// Learning Locker's validator; after failures and lost answers the LRS
// holds exactly the expected statements, none twice.
func TestXAPIStatementsReachTheLRSOnce(t *testing.T) {
	evidencetest.Require(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		store := &lrs{byID: map[string]json.RawMessage{}, failBefore: 2, failAfter: 2}
		srv := httptest.NewServer(store)
		defer srv.Close()
		e, d := newEvidenceEnv(t, db, evidence.Options{XAPI: evidence.XAPI{Endpoint: srv.URL + "/xapi", Username: "lrs-key", Password: "lrs-secret"}})
		publishCourse(t, e, "fair-ai", "Fair AI", "pass_mark: 60")
		c, u := e.as()
		finishLessons(t, c, "fair-ai")
		a := openAttempt(t, c, "fair-ai")
		c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK)
		deliverAll(t, d) // fails: the LRS is down
		e.clock.Advance(90 * time.Second)
		b := openAttempt(t, c, "fair-ai")
		var res resultBody
		c.Post("/api/v1/attempts/"+b.ID+"/submit", b.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
		drain(t, e, d, nil)
		if len(store.badRequests) > 0 {
			t.Fatalf("the LRS refused requests: %v", store.badRequests)
		}
		if len(store.order) != 3 {
			t.Fatalf("the LRS holds %d statements, want 3 (failed, passed, completed)", len(store.order))
		}
		var stmts []map[string]any
		verbs := []string{}
		for _, id := range store.order {
			var st map[string]any
			if err := json.Unmarshal(store.byID[id], &st); err != nil {
				t.Fatal(err)
			}
			stmts = append(stmts, st)
			verbs = append(verbs, st["verb"].(map[string]any)["id"].(string))
			actor := st["actor"].(map[string]any)["account"].(map[string]any)
			if actor["name"] != u.ID || actor["homePage"] != testBaseURL+"/" {
				t.Fatalf("actor %v", actor)
			}
			if strings.Contains(string(store.byID[id]), "@example.com") {
				t.Fatal("a statement carries an email")
			}
			obj := st["object"].(map[string]any)
			if obj["id"] != testBaseURL+"/modules/fair-ai" || obj["definition"].(map[string]any)["name"].(map[string]any)["en"] != "Fair AI" {
				t.Fatalf("object %v", obj)
			}
			ctx := st["context"].(map[string]any)
			if ctx["revision"] != "1" || ctx["registration"] == "" {
				t.Fatalf("context %v", ctx)
			}
		}
		if !slices.Equal(verbs, []string{evidence.VerbFailed, evidence.VerbPassed, evidence.VerbCompleted}) {
			t.Fatalf("verbs %v", verbs)
		}
		passed := stmts[1]["result"].(map[string]any)
		if passed["success"] != true || passed["score"].(map[string]any)["scaled"] != 1.0 || passed["duration"] == nil {
			t.Fatalf("passed result %v", passed)
		}
		if reg0, reg2 := stmts[0]["context"].(map[string]any)["registration"], stmts[2]["context"].(map[string]any)["registration"]; reg0 != reg2 {
			t.Fatalf("one round, two registrations: %v %v", reg0, reg2)
		}
		var report struct {
			Valid    int   `json:"valid"`
			Problems []any `json:"problems"`
		}
		if !evidencetest.Run(t, "xapi.mjs", stmts, &report) || report.Valid != 3 {
			t.Fatalf("xAPI validator: %+v", report)
		}
		// Nothing is left to send, and an admin's view lists the deliveries.
		admin, _ := e.as(identity.RoleAdmin)
		var page struct {
			Items []outbox.Delivery `json:"items"`
		}
		admin.Get("/api/v1/admin/deliveries?target=xapi").Want(t, http.StatusOK).Decode(t, &page)
		if len(page.Items) != 3 {
			t.Fatalf("%d xapi deliveries listed", len(page.Items))
		}
		for _, it := range page.Items {
			if it.Status != outbox.Delivered {
				t.Fatalf("delivery %+v", it)
			}
		}
	})
}

// Open Badges 3.0: the credential verifies with jose against the published
// keys, validates against the JSON Schema and the JSON-LD context, fails
// after any tampering; revocation and expiry show in its status.
func TestOpenBadgeCredential(t *testing.T) {
	evidencetest.Require(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _ := newEvidenceEnv(t, db, evidence.Options{OrgName: "Acme Training"})
		publishCourse(t, e, "fair-ai", "Fair AI", "valid_for: 1y")
		c, u := e.as()
		rec := complete(t, c, "fair-ai").Completion

		res := c.Get("/api/v1/records/"+rec.ID+"/badge").Want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != evidence.MediaTypeVCJWT {
			t.Fatalf("content type %q", ct)
		}
		jwt := string(res.Body)
		var cred map[string]any
		c.Get("/api/v1/records/"+rec.ID+"/badge", apitest.Header("Accept", "application/json")).Want(t, http.StatusOK).Decode(t, &cred)
		jwks := e.c.Get("/.well-known/jwks.json").Want(t, http.StatusOK).Map(t)

		var report struct {
			OK       bool           `json:"ok"`
			Problems []string       `json:"problems"`
			Payload  map[string]any `json:"payload"`
			Tampered []struct {
				Name     string `json:"name"`
				Rejected bool   `json:"rejected"`
			} `json:"tampered"`
		}
		in := map[string]any{"jwt": jwt, "jwks": jwks, "issuer": testBaseURL + "/api/v1/issuer",
			"now": e.clock.Now().Format(time.RFC3339)}
		if !evidencetest.Run(t, "badge.mjs", in, &report) {
			t.Fatalf("the credential does not check out: %v", report.Problems)
		}
		if len(report.Tampered) < 5 {
			t.Fatalf("tampering cases: %+v", report.Tampered)
		}
		// The JSON form is the JWT's credential.
		subj := cred["credentialSubject"].(map[string]any)
		if report.Payload["id"] != "urn:uuid:"+rec.ID || cred["id"] != report.Payload["id"] ||
			subj["id"] != report.Payload["sub"] || cred["validUntil"] == nil {
			t.Fatalf("credential %v / payload %v", cred, report.Payload)
		}
		// Pseudonymous: no user id, no email; the email only salted and hashed.
		if strings.Contains(jwt, u.ID) || strings.Contains(string(mustJSON(t, cred)), u.Email) || strings.Contains(string(mustJSON(t, cred)), u.ID) {
			t.Fatal("the credential names the user")
		}
		ach := subj["achievement"].(map[string]any)
		if ach["id"] != testBaseURL+"/api/v1/achievements/fair-ai" || !strings.Contains(string(mustJSON(t, ach)), rec.ContentHash) {
			t.Fatalf("achievement %v", ach)
		}
		// A second record of the same person has the same subject id.
		publishCourse(t, e, "privacy", "Privacy")
		rec2 := complete(t, c, "privacy").Completion
		var cred2 map[string]any
		c.Get("/api/v1/records/"+rec2.ID+"/badge", apitest.Header("Accept", "application/json")).Want(t, http.StatusOK).Decode(t, &cred2)
		if cred2["credentialSubject"].(map[string]any)["id"] != subj["id"] {
			t.Fatal("the subject pseudonym is not stable")
		}

		// The issuer Profile carries the key the JWKS publishes.
		issuer := e.c.Get("/api/v1/issuer").Want(t, http.StatusOK).Map(t)
		vm := issuer["verificationMethod"].([]any)[0].(map[string]any)
		found := false
		for _, k := range jwks["keys"].([]any) {
			if k.(map[string]any)["kid"] == vm["id"] {
				found = true
			}
		}
		if !found || issuer["name"] != "Acme Training" || issuer["id"] != testBaseURL+"/api/v1/issuer" {
			t.Fatalf("issuer %v", issuer)
		}
		e.c.Get("/api/v1/achievements/fair-ai").Want(t, http.StatusOK)
		e.c.Get("/api/v1/achievements/nope").Want(t, http.StatusNotFound)

		// Others see no badge; the status is public.
		other, _ := e.as()
		other.Get("/api/v1/records/"+rec.ID+"/badge").Want(t, http.StatusNotFound)
		status := func(id string) evidence.RevocationList {
			var l evidence.RevocationList
			e.c.Get("/api/v1/records/"+id+"/status").Want(t, http.StatusOK).Decode(t, &l)
			return l
		}
		if l := status(rec.ID); l.Status != "valid" || len(l.RevokedCredentials) != 0 || l.ID != cred["credentialStatus"].(map[string]any)["id"] {
			t.Fatalf("status %+v", l)
		}
		admin, _ := e.as(identity.RoleAdmin)
		admin.Post("/api/v1/records/"+rec.ID+"/revoke", map[string]any{"reason": "issued in error"}).Want(t, http.StatusOK)
		if l := status(rec.ID); l.Status != "revoked" || len(l.RevokedCredentials) != 1 || l.RevokedCredentials[0].ID != "urn:uuid:"+rec.ID {
			t.Fatalf("revoked status %+v", l)
		}
		// Past validUntil: expired in the status, and jose refuses the JWT.
		e.clock.Advance(366 * 24 * time.Hour)
		if l := status(rec2.ID); l.Status != "valid" {
			t.Fatalf("a record without expiry: %+v", l)
		}
		publishCourse(t, e, "yearly", "Yearly", "valid_for: 30d")
		c = e.c.As(e.token(u))
		rec3 := complete(t, c, "yearly").Completion
		jwt3 := string(c.Get("/api/v1/records/"+rec3.ID+"/badge").Want(t, http.StatusOK).Body)
		e.clock.Advance(31 * 24 * time.Hour)
		if l := status(rec3.ID); l.Status != "expired" || l.ValidUntil == nil {
			t.Fatalf("expired status %+v", l)
		}
		in = map[string]any{"jwt": jwt3, "jwks": jwks, "issuer": testBaseURL + "/api/v1/issuer",
			"now": e.clock.Now().Format(time.RFC3339)}
		if evidencetest.Run(t, "badge.mjs", in, &report) {
			t.Fatal("jose accepted an expired credential")
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reminders scheduler writes record.expiring, record.expired and
// assignment.overdue, each once however often it runs.
func TestScheduledEventsGoOnce(t *testing.T) {
	evidencetest.Require(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, d := newEvidenceEnv(t, db, evidence.Options{})
		rcv := &receiver{}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		admin, _ := e.as(identity.RoleAdmin)
		var hook evidence.Webhook
		admin.Post("/api/v1/admin/webhooks", map[string]any{"url": srv.URL,
			"events": []string{"record.expiring", "record.expired", "assignment.overdue"}}).Want(t, http.StatusCreated).Decode(t, &hook)
		publishCourse(t, e, "monthly", "Monthly", "valid_for: 20d")
		publishCourse(t, e, "later", "Later")
		c, u := e.as()
		complete(t, c, "monthly")
		admin.Post("/api/v1/assignments", map[string]any{"module": "later", "user_ids": []string{u.ID},
			"due_at": rfc(e.clock.Now().Add(2 * 24 * time.Hour))}).Want(t, http.StatusCreated)
		day := func() {
			t.Helper()
			for range 2 { // a second run the same day (another replica) adds nothing
				sc := &notify.Scheduler{Service: e.srv.Reminders, Hour: 0, Now: e.clock.Now, NoDigests: true,
					Events: e.srv.Evidence.Scheduled(e.srv.Reminders)}
				if _, err := sc.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			drain(t, e, d, nil)
		}
		day() // the record expires within 30 days
		e.clock.Advance(3 * 24 * time.Hour)
		day() // the assignment is overdue
		e.clock.Advance(24 * time.Hour)
		day()
		e.clock.Advance(20 * 24 * time.Hour)
		day() // the record expired
		e.clock.Advance(8 * 24 * time.Hour)
		day() // a week later: nothing new
		var types []string
		for _, g := range rcv.got {
			var body evidence.WebhookBody
			if err := json.Unmarshal([]byte(g.Body), &body); err != nil {
				t.Fatal(err)
			}
			types = append(types, body.Type)
		}
		if !slices.Equal(types, []string{"record.expiring", "assignment.overdue", "record.expired"}) {
			t.Fatalf("scheduled events: %v", types)
		}
		var report struct {
			Verified int `json:"verified"`
		}
		if !evidencetest.Run(t, "webhooks.mjs", map[string]any{"secrets": []string{hook.Secret}, "deliveries": rcv.got}, &report) {
			t.Fatalf("standardwebhooks: %+v", report)
		}
	})
}

// Unknown and malformed ids are 404s, never a database error.
func TestEvidenceUnknownIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _ := newEvidenceEnv(t, db, evidence.Options{})
		admin, _ := e.as(identity.RoleAdmin)
		for _, id := range []string{"nope", "x%27y", "0193a7c4-5b1e-7c2a-9f4e-2d8b6c1a0e55"} {
			e.c.Get("/api/v1/records/"+id+"/status").Want(t, http.StatusNotFound)
			admin.Get("/api/v1/records/"+id+"/badge").Want(t, http.StatusNotFound)
			admin.Delete("/api/v1/admin/webhooks/"+id).Want(t, http.StatusNotFound)
			admin.Post("/api/v1/admin/webhooks/"+id+"/rotate-secret", nil).Want(t, http.StatusNotFound)
		}
		learner, _ := e.as()
		learner.Get("/api/v1/admin/webhooks").Want(t, http.StatusForbidden)
		learner.Post("/api/v1/admin/webhooks", map[string]any{"url": "https://hooks.example.com/", "events": []string{"record.issued"}}).Want(t, http.StatusForbidden)
	})
}
