package main

import (
	"strings"
	"testing"
	"time"
)

// retention run --dry-run lists what --apply then removes; without a
// period it says everything is kept.
func TestRetentionRunCommand(t *testing.T) {
	env := migratedEnv(t)
	if code, out, errs := runCLI(t, env, "retention", "run", "--dry-run"); code != 0 || !strings.Contains(out, "everything is kept") {
		t.Fatalf("without periods: %d %q %q", code, out, errs)
	}
	if code, _, _ := runCLI(t, env, "retention", "run"); code != 2 {
		t.Fatalf("neither --dry-run nor --apply: exit %d, want 2", code)
	}
	db := openData(t, env)
	old := time.Now().UTC().AddDate(-2, 0, 0)
	for i, d := range []time.Time{old, old.AddDate(0, 1, 0), time.Now().UTC()} {
		if err := db.W.Exec(`INSERT INTO audit_events (at, action, target, details, client_ip) VALUES (?, 'x.y', ?, '{"k":"v"}', '192.0.2.1')`,
			d, string(rune('a'+i))).Error; err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	env = testEnvWith(env, "UPSKILL_RETAIN_AUDIT_DETAILS", "365d")
	code, dry, errs := runCLI(t, env, "retention", "run", "--dry-run")
	if code != 0 || !strings.Contains(dry, "2 due (dry run") {
		t.Fatalf("dry run: %d %q %q", code, dry, errs)
	}
	code, applied, errs := runCLI(t, env, "retention", "run", "--apply")
	if code != 0 || !strings.Contains(applied, "removed 2") {
		t.Fatalf("apply: %d %q %q", code, applied, errs)
	}
	lines := func(s string) string { return s[:strings.LastIndex(strings.TrimSuffix(s, "\n"), "\n")+1] }
	if lines(dry) != lines(applied) {
		t.Errorf("dry run listed\n%s\napply removed\n%s", dry, applied)
	}
	if code, out, _ := runCLI(t, env, "retention", "run", "--dry-run"); code != 0 || !strings.Contains(out, "0 due") {
		t.Errorf("after apply: %q", out)
	}
}
