package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
)

// runStdin runs the program with stdin as its standard input.
func runStdin(t *testing.T, getenv func(string) string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWithInput(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// A lost password, the first admin's included, is set again on the
// database: the old one stops working, the new one signs in, its sessions
// end, the sign-in throttle is cleared, and the change is audited.
func TestUsersSetPasswordRecoversAnAccount(t *testing.T) {
	env := testEnv(t, "UPSKILL_ADMIN_EMAIL", "boss@example.com", "UPSKILL_ADMIN_PASSWORD", "the first admin passphrase")
	base, _ := startServe(t, env)
	login := func(pw string) (int, map[string]any) {
		return postJSON(t, base+"/api/v1/auth/login", fmt.Sprintf(`{"email":"boss@example.com","password":%q}`, pw), "")
	}
	code, old := login("the first admin passphrase")
	if code != 200 {
		t.Fatalf("first admin login = %d", code)
	}
	for range 5 { // the operator tried to remember it and locked themselves out
		login("was it this one?")
	}
	if code, _ := login("the first admin passphrase"); code != 429 {
		t.Fatalf("after five wrong guesses login = %d, want 429", code)
	}

	code, out, errs := runStdin(t, env, "a recovered passphrase\n", "users", "set-password", "--email", "BOSS@example.com", "--password-stdin")
	if code != 0 || !strings.Contains(out, "password set for") || !strings.Contains(out, "boss@example.com") {
		t.Fatalf("set-password: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if strings.Contains(out+errs, "a recovered passphrase") {
		t.Fatal("the new password was printed")
	}
	code, s := login("a recovered passphrase")
	if code != 200 {
		t.Fatalf("login with the new password = %d %v", code, s)
	}
	if code, _ := login("the first admin passphrase"); code != 401 {
		t.Fatalf("login with the old password = %d, want 401", code)
	}
	if code, _ := postJSON(t, base+"/api/v1/auth/refresh", fmt.Sprintf(`{"refresh_token":%q}`, old["refresh_token"]), ""); code != 401 {
		t.Fatalf("the old session still refreshes: %d", code)
	}
	res, err := newGet(base+"/api/v1/audit?action=user.password_changed", s["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(res)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), `"by":"command line"`) {
		t.Fatalf("audit lacks the command-line password change: %s", body.String())
	}

	for _, tc := range []struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		{[]string{"users", "set-password", "--email", "boss@example.com"}, "x\n", 2, "--password-stdin"},
		{[]string{"users", "set-password", "--password-stdin"}, "x\n", 2, "--email"},
		{[]string{"users", "set-password", "--email", "nobody@example.com", "--password-stdin"}, "a long enough passphrase\n", 1, "no user has the email nobody@example.com"},
		{[]string{"users", "set-password", "--email", "boss@example.com", "--password-stdin"}, "short\n", 1, "at least 12 characters"},
	} {
		if code, _, errs := runStdin(t, env, tc.stdin, tc.args...); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// serve takes its port before it creates the first admin: on a busy port
// it stops without printing (and so losing) a generated password, and the
// next start on a free port prints it.
func TestServeChecksThePortBeforeCreatingTheAdmin(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := testEnv(t)
	code, _, errs := runCLI(t, env, "serve", "--addr", busy.Addr().String())
	if code != 1 || !strings.Contains(errs, "listen on "+busy.Addr().String()) {
		t.Fatalf("serve on a busy port: exit %d, stderr %s", code, errs)
	}
	if strings.Contains(errs, "First start") {
		t.Fatalf("a first-admin password was printed by a start that failed: %s", errs)
	}
	_, logs := startServe(t, env)
	if firstPassword.FindStringSubmatch(logs.String()) == nil {
		t.Fatalf("the start on a free port printed no first-admin password: %s", logs.String())
	}
}
