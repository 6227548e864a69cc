package main

import (
	"fmt"
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
	env := testEnv(t)
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
