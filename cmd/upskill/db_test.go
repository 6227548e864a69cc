package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// migratedEnv is testEnv with its database created, as serve or migrate
// would have made it.
func migratedEnv(t *testing.T, kv ...string) func(string) string {
	t.Helper()
	env := testEnv(t, kv...)
	if code, out, errs := runCLI(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	return env
}

// Run from a folder that is not the service's, a command other than serve
// and migrate refuses to work on a database that does not exist, names the
// full path it looked for and the settings that choose it, and leaves no
// database behind.
func TestCommandsRefuseAMissingDatabase(t *testing.T) {
	env := testEnv(t)
	dataDir := env("UPSKILL_DATA_DIR")
	want := filepath.Join(dataDir, "upskill.db")
	staff := filepath.Join(t.TempDir(), "staff.csv")
	os.WriteFile(staff, []byte("email,name,department,employee_id\na@example.com,A,Brand,1\n"), 0o600)
	modules := t.TempDir()
	writeFiles(t, modules, goodModule("ai-basics", "AI Basics"))
	for _, args := range [][]string{
		{"users", "create", "--email", "a@example.com", "--name", "A"},
		{"users", "import", staff},
		{"report", "completions"},
		{"backup", "--out", filepath.Join(t.TempDir(), "copy.db")},
		{"content", "import", modules},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			code, out, errs := runCLI(t, env, args...)
			if code != 1 || !strings.Contains(errs, "no database at "+want) ||
				!strings.Contains(errs, "UPSKILL_DATA_DIR") || !strings.Contains(errs, "UPSKILL_DATABASE_URL") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
			if _, err := os.Stat(want); !os.IsNotExist(err) {
				t.Fatalf("the command created %s (%v)", want, err)
			}
		})
	}
	// A database file that exists but was never migrated (an empty file
	// an operator touched, say) is refused too.
	os.MkdirAll(dataDir, 0o700)
	os.WriteFile(want, nil, 0o600)
	if code, _, errs := runCLI(t, env, "report", "completions"); code != 1 || !strings.Contains(errs, "holds no upskill data") {
		t.Fatalf("unmigrated database: %d %s", code, errs)
	}
}

// migrate creates the database; from then on every command says on
// standard error which database it used.
func TestCommandsNameTheirDatabase(t *testing.T) {
	env := testEnv(t)
	want := "upskill: database " + filepath.Join(env("UPSKILL_DATA_DIR"), "upskill.db") + "\n"
	for _, args := range [][]string{
		{"migrate"},
		{"users", "create", "--email", "a@example.com", "--name", "A"},
		{"report", "completions"},
		{"backup", "--out", filepath.Join(t.TempDir(), "copy.db")},
	} {
		code, out, errs := runCLI(t, env, args...)
		if code != 0 || !strings.Contains(errs, want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// Commands sign nothing, so they leave the signing keys to serve.
	for _, key := range []string{"jwt-signing.pem", "record-signing.pem"} {
		if _, err := os.Stat(filepath.Join(env("UPSKILL_DATA_DIR"), key)); !os.IsNotExist(err) {
			t.Errorf("a command created %s (%v)", key, err)
		}
	}
}
