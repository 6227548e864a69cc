package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/mail/mailtest"
)

func TestMailTestSendsThroughTheRelay(t *testing.T) {
	smtpd := mailtest.Start(t)
	env := testEnv(t, "UPSKILL_SMTP_URL", fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", smtpd.Port),
		"UPSKILL_MAIL_FROM", "Training <training@example.com>", "UPSKILL_ORG_NAME", "Acme")
	code, out, errOut := runCLI(t, env, "mail", "test", "--to", "ops@example.com")
	if code != 0 || !strings.Contains(out, "sent a test message to ops@example.com") {
		t.Fatalf("mail test: %d %q %q", code, out, errOut)
	}
	got := smtpd.Wait(1)
	if got[0].To != "ops@example.com" || got[0].Subject != "upskill test message" || !strings.Contains(got[0].Text, "Acme") {
		t.Fatalf("test message: %+v", got[0])
	}

	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"no relay", nil, "no mail relay is configured"},
		{"no sender", []string{"UPSKILL_SMTP_URL", "smtp://127.0.0.1:25?tls=none"}, "UPSKILL_MAIL_FROM is required"},
		{"clear text to the internet", []string{"UPSKILL_SMTP_URL", "smtp://u:secret@8.8.8.8:25?tls=none", "UPSKILL_MAIL_FROM", "a@example.com"}, "tls=none is only for a relay"},
		{"wrong scheme", []string{"UPSKILL_SMTP_URL", "http://u:secret@mail.example.com", "UPSKILL_MAIL_FROM", "a@example.com"}, "want smtp://"},
		{"unknown option", []string{"UPSKILL_SMTP_URL", "smtp://mail.example.com?tls=maybe", "UPSKILL_MAIL_FROM", "a@example.com"}, "tls="},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, testEnv(t, c.env...), "mail", "test", "--to", "ops@example.com")
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "secret") {
			t.Errorf("%s: %d %q", c.name, code, errOut)
		}
	}
}

func TestRemindersRun(t *testing.T) {
	env := migratedEnv(t)
	if code, out, errOut := runCLI(t, env, "reminders", "run", "--dry-run"); code != 0 || !strings.Contains(out, "0 digests for") {
		t.Fatalf("dry run: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, env, "reminders", "run", "--send"); code == 0 || !strings.Contains(errOut, "no mail relay") {
		t.Fatalf("send without a relay: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, env, "reminders", "run"); code != 2 {
		t.Fatalf("neither flag: %d", code)
	}
}

func TestUsersImportInvites(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(file, []byte("email,name,department,employee_id\nann@example.com,Ann,Brand,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := migratedEnv(t)
	if code, _, errOut := runCLI(t, env, "users", "import", "--invite", file); code == 0 || !strings.Contains(errOut, "mail relay") {
		t.Fatalf("--invite without a relay: %d %q", code, errOut)
	}
	smtpd := mailtest.Start(t)
	env = migratedEnv(t, "UPSKILL_SMTP_URL", fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", smtpd.Port),
		"UPSKILL_MAIL_FROM", "Training <training@example.com>")
	if code, out, errOut := runCLI(t, env, "users", "import", "--invite", file); code != 0 || !strings.Contains(out, "invited 1") {
		t.Fatalf("--invite: %d %q %q", code, out, errOut)
	}
}

// Invitations acknowledged while the relay refuses mail survive kill -9 of the
// server, and each arrives once after the restart.
func TestQueuedMailSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	smtpd := mailtest.Start(t)
	smtpd.Refuse(451) // the relay turns mail away while the invitations are made
	dataDir := t.TempDir()
	mailEnv := []string{fmt.Sprintf("UPSKILL_SMTP_URL=smtp://127.0.0.1:%d?tls=none", smtpd.Port),
		"UPSKILL_MAIL_FROM=Training <training@example.com>", "UPSKILL_OUTBOX_RETRY_BASE=1s"}
	cmd, base := startChild(t, dataDir, mailEnv...)
	_, login := postJSON(t, base+"/api/v1/auth/login", `{"email":"admin@example.com","password":"crash test admin passphrase"}`, "")
	token, _ := login["access_token"].(string)
	const n = 5
	for i := range n {
		code, u := postJSON(t, base+"/api/v1/users", fmt.Sprintf(`{"email":"new%d@example.com","name":"New %d"}`, i, i), token)
		if code != 201 {
			t.Fatalf("create: %d %v", code, u)
		}
		code, inv := postJSON(t, base+"/api/v1/users/"+u["id"].(string)+"/invite", `{}`, token)
		if code != 202 || inv["delivery"] != "email" {
			t.Fatalf("invite: %d %v", code, inv)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	smtpd.Refuse(0)
	startChild(t, dataDir, mailEnv...)
	got := smtpd.Wait(n)
	seen := map[string]int{}
	for _, m := range got {
		seen[m.To]++
	}
	for i := range n {
		if to := fmt.Sprintf("new%d@example.com", i); seen[to] != 1 {
			t.Errorf("%s got %d invitations", to, seen[to])
		}
	}
}
