package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
)

// testEnv is a getenv over a map, with a private data dir.
func testEnv(t *testing.T, kv ...string) func(string) string {
	t.Helper()
	m := map[string]string{
		"UPSKILL_DATA_DIR":    filepath.Join(t.TempDir(), "data"),
		"UPSKILL_CONTENT_DIR": "",
		"UPSKILL_LOG_FORMAT":  "json",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func runCLI(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommandLine(t *testing.T) {
	env := testEnv(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"no command", nil, 2, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, "", "Usage:"},
		{"unknown flag", []string{"serve", "--frobnicate"}, 2, "", "unknown flag"},
		{"extra argument", []string{"version", "extra"}, 2, "", "Usage:"},
		{"help", []string{"--help"}, 0, "Available Commands", ""},
		{"serve help", []string{"serve", "--help"}, 0, "UPSKILL_DATABASE_URL", ""},
		{"version", []string{"version"}, 0, "upskill ", ""},
		{"bad setting", []string{"migrate", "--addr", "nonsense"}, 1, "", "invalid UPSKILL_ADDR (--addr)"},
		{"bad env setting", []string{"migrate", "--log-level", "loud"}, 1, "", "UPSKILL_LOG_LEVEL"},
		{"migrate", []string{"migrate"}, 0, "schema version", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
			if !strings.Contains(out, tc.inStdout) || !strings.Contains(errs, tc.inStderr) {
				t.Fatalf("stdout %q / stderr %q lack %q / %q", out, errs, tc.inStdout, tc.inStderr)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	env := testEnv(t)
	for i := range 2 {
		if code, out, errs := runCLI(t, env, "migrate"); code != 0 {
			t.Fatalf("migrate #%d: exit %d: %s %s", i+1, code, out, errs)
		}
	}
}

var listening = regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)

// startServe runs the real program's serve command on a free port and
// returns its base URL; the server stops when the test ends.
func startServe(t *testing.T, getenv func(string) string, args ...string) (base string, logs *apitest.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &apitest.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), getenv, io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, logs.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], logs
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening: %s", code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", logs.String())
	return "", nil
}

func TestServeEndToEnd(t *testing.T) {
	base, _ := startServe(t, testEnv(t))
	for path, want := range map[string]int{
		"/healthz": 200, "/readyz": 200, "/metrics": 404, "/api/v1/openapi.yaml": 200, "/api/v1/nothing-here": 404,
	} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d: %s", path, res.StatusCode, want, body)
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("GET %s: no X-Request-ID", path)
		}
		if want == 404 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("404 Content-Type = %q", res.Header.Get("Content-Type"))
		}
	}
}

var firstPassword = regexp.MustCompile(`sign in as (\S+) with password (\S+)`)

func postJSON(t *testing.T, url string, body string, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The first start creates an admin with a password printed once; signing
// in with it works, and a second start prints nothing new.
func TestFirstStartPrintsAdminPassword(t *testing.T) {
	env := testEnv(t)
	base, logs := startServe(t, env)
	m := firstPassword.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no first-login line in: %s", logs.String())
	}
	code, body := postJSON(t, base+"/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, m[1], m[2]), "")
	if code != 200 || body["access_token"] == "" {
		t.Fatalf("login = %d %v", code, body)
	}
	if strings.Count(logs.String(), m[2]) != 1 {
		t.Fatal("the generated password appears more than once in the output")
	}
}

func TestConfiguredAdminAndDemoAccounts(t *testing.T) {
	env := testEnv(t, "UPSKILL_ADMIN_EMAIL", "it@example.com", "UPSKILL_ADMIN_PASSWORD", "a configured admin passphrase")
	base, logs := startServe(t, env, "--demo")
	if code, _ := postJSON(t, base+"/api/v1/auth/login", `{"email":"it@example.com","password":"a configured admin passphrase"}`, ""); code != 200 {
		t.Fatalf("configured admin login = %d", code)
	}
	out := logs.String()
	if strings.Contains(out, "a configured admin passphrase") {
		t.Fatal("the configured password was printed")
	}
	if !strings.Contains(out, "DEMO MODE") {
		t.Fatal("demo mode is not announced in the log")
	}
	demo := regexp.MustCompile(`(?m)^\s+(learner|trainer|hr|admin)\s+(\S+)\s+(\S+)$`).FindAllStringSubmatch(out, -1)
	if len(demo) != 4 {
		t.Fatalf("demo sign-ins printed: %v\n%s", demo, out)
	}
	for _, d := range demo {
		if code, _ := postJSON(t, base+"/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, d[2], d[3]), ""); code != 200 {
			t.Fatalf("demo %s login = %d", d[1], code)
		}
	}
}

func TestUsersCommands(t *testing.T) {
	env := migratedEnv(t)
	var out, errb bytes.Buffer
	code := runWithInput(context.Background(), []string{"users", "create", "--email", "hr@example.com", "--name", "Hana HR",
		"--role", "hr", "--role", "learner", "--password-stdin"}, env, strings.NewReader("a long enough passphrase\n"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "hr@example.com (learner,hr)") {
		t.Fatalf("users create: %d %s %s", code, out.String(), errb.String())
	}
	if code, _, errs := runCLI(t, env, "users", "create", "--email", "hr@example.com", "--name", "Again"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate create: %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, env, "users", "create", "--name", "No Email"); code != 2 {
		t.Fatalf("missing --email exit %d, want 2", code)
	}
	csvPath := filepath.Join(t.TempDir(), "staff.csv")
	os.WriteFile(csvPath, []byte("email;name;department;employee_id;Job title\na@example.com;A;Brand;1;x\nb@example.com;B;Brand;2;y\n"), 0o600)
	if code, out, errs := runCLI(t, env, "users", "import", csvPath); code != 0 || !strings.Contains(out, "created 2, updated 0, unchanged 0") ||
		!strings.Contains(out, "ignored columns: Job title") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	os.WriteFile(csvPath, []byte("email,name,department,employee_id\nbad,A,Brand,1\n"), 0o600)
	if code, _, errs := runCLI(t, env, "users", "import", csvPath); code != 1 || !strings.Contains(errs, "line 2:") {
		t.Fatalf("bad import: %d %s", code, errs)
	}
	base, _ := startServe(t, env)
	if code, _ := postJSON(t, base+"/api/v1/auth/login", `{"email":"hr@example.com","password":"a long enough passphrase"}`, ""); code != 200 {
		t.Fatalf("CLI-created user cannot sign in: %d", code)
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func newGet(url, token string) (*http.Request, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err == nil && token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, err
}

// A backup taken while the data is live opens on its own and holds the
// users, with owner-only permissions.
func TestBackup(t *testing.T) {
	env := migratedEnv(t)
	if code, _, errs := runCLI(t, env, "users", "create", "--email", "kept@example.com", "--name", "Kept"); code != 0 {
		t.Fatalf("create: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "backups", "upskill-backup.db")
	if code, stdout, errs := runCLI(t, env, "backup", "--out", out); code != 0 || !strings.Contains(stdout, "backed up") {
		t.Fatalf("backup: %d %s %s", code, stdout, errs)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if code, _, errs := runCLI(t, env, "backup", "--out", out); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("second backup to the same file: %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, env, "backup"); code != 2 {
		t.Fatalf("backup without --out: exit %d, want 2", code)
	}
	// Serve from the copy: the user is there.
	restored := testEnv(t, "UPSKILL_DATABASE_URL", out)
	if code, _, errs := runCLI(t, restored, "users", "create", "--email", "kept@example.com", "--name", "Again"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("restored copy lacks the user: %d %s", code, errs)
	}
}
