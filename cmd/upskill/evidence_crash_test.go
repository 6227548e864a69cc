package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/evidence"
)

// hookReceiver is a webhook endpoint in the test process: down (503)
// until told otherwise; it keeps every event id it accepted whose
// signature checks out under secret.
type hookReceiver struct {
	mu     sync.Mutex
	up     bool
	secret string
	ids    map[string]int
	bad    []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.up {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	n, _ := strconv.ParseInt(ts, 10, 64)
	want, _ := evidence.Sign(h.secret, id, n, body)
	if !strings.Contains(" "+r.Header.Get("webhook-signature")+" ", " "+want+" ") {
		h.bad = append(h.bad, id)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.ids[id]++
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) count() (int, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids), append([]string(nil), h.bad...)
}

func putJSON(t *testing.T, url, body, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Events committed while their endpoint is down survive kill -9 of upskill
// between commit and delivery: after a restart every one arrives.
func TestWebhookEventsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	rcv := &hookReceiver{ids: map[string]int{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	env := []string{"UPSKILL_OUTBOUND_ALLOW=127.0.0.1", "UPSKILL_OUTBOX_RETRY_BASE=200ms"}
	cmd, base := startChild(t, dataDir, env...)
	login := func() string {
		_, l := postJSON(t, base+"/api/v1/auth/login", `{"email":"admin@example.com","password":"crash test admin passphrase"}`, "")
		token, _ := l["access_token"].(string)
		if token == "" {
			t.Fatalf("login: %v", l)
		}
		return token
	}
	token := login()
	module := map[string]any{"files": map[string]string{
		"module.md":              "---\ntitle: Kept\nsummary: A course on kept events.\ntopics: [ethics]\n---\n\nOverview.\n",
		"lessons/01-intro.md":    "# Intro\n\nWhy it matters.\n",
		"lessons/02-practice.md": "# Practice\n\nHow to do it.\n",
	}}
	b, _ := json.Marshal(module)
	if code := putJSON(t, base+"/api/v1/modules/kept", string(b), token); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	code, hook := postJSON(t, base+"/api/v1/admin/webhooks", fmt.Sprintf(`{"url":%q,"events":["assignment.created"]}`, srv.URL), token)
	if code != 201 {
		t.Fatalf("webhook: %d %v", code, hook)
	}
	rcv.mu.Lock()
	rcv.secret = hook["secret"].(string)
	rcv.mu.Unlock()
	const n = 20
	ids := make([]string, n)
	for i := range n {
		code, u := postJSON(t, base+"/api/v1/users", fmt.Sprintf(`{"email":"learner%d@example.com","name":"Learner %d"}`, i, i), token)
		if code != 201 {
			t.Fatalf("user %d: %d %v", i, code, u)
		}
		ids[i] = u["id"].(string)
	}
	users, _ := json.Marshal(ids)
	due := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if code, body := postJSON(t, base+"/api/v1/assignments", fmt.Sprintf(`{"module":"kept","user_ids":%s,"due_at":%q}`, users, due), token); code != 201 {
		t.Fatalf("assign: %d %v", code, body)
	}
	// Committed, not delivered: the endpoint is down. No shutdown, no
	// checkpoint.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got, _ := rcv.count(); got != 0 {
		t.Fatalf("%d events arrived while the endpoint was down", got)
	}

	rcv.mu.Lock()
	rcv.up = true
	rcv.mu.Unlock()
	startChild(t, dataDir, env...)
	// Waits for the deliveries, however long the machine takes; the
	// deadline only ends a hung test.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, bad := rcv.count()
		if len(bad) > 0 {
			t.Fatalf("deliveries with bad signatures: %v", bad)
		}
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after kill -9 and a restart, %d of %d events arrived", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
