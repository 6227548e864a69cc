package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestRedactURLHidesPasswords(t *testing.T) {
	for _, in := range []string{
		"postgres://upskill:s3cret@db:5432/upskill?sslmode=require",
		"postgresql://upskill@db/upskill?password=s3cret&sslmode=require",
	} {
		got := RedactURL(in)
		if strings.Contains(got, "s3cret") || !strings.Contains(got, "db") {
			t.Errorf("RedactURL(%q) = %q", in, got)
		}
	}
	if got := RedactURL("data/upskill.db"); got != "data/upskill.db" {
		t.Errorf("a SQLite path changed: %q", got)
	}
}

func load(t *testing.T, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	Bind(fs)
	return Load(fs, func(k string) string { return env[k] })
}

// A mistyped database URL used to be taken for a SQLite path: the service
// started on a new, empty database in a folder named "mysql:" or
// "postgress:" instead of stopping with a line naming the setting.
func TestDatabaseURLMustBeSQLitePathOrPostgres(t *testing.T) {
	for _, good := range []string{"", "data/upskill.db", "/var/lib/upskill/db.sqlite",
		"postgres://u:p@db/upskill", "postgresql://db/upskill?sslmode=require"} {
		if _, err := load(t, map[string]string{"UPSKILL_DATABASE_URL": good}); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"mysql://u:s3cret@db/upskill", "postgress://u:s3cret@db/upskill", "sqlite:///tmp/x.db"} {
		_, err := load(t, map[string]string{"UPSKILL_DATABASE_URL": bad})
		if err == nil || !strings.Contains(err.Error(), "UPSKILL_DATABASE_URL") {
			t.Errorf("%q: err %v, want one naming UPSKILL_DATABASE_URL", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
}

// A port out of range used to pass, so serve migrated the database and
// created the first admin before failing to listen.
func TestAddrPortChecked(t *testing.T) {
	for _, good := range []string{":8080", "127.0.0.1:0", "[::1]:443", "0.0.0.0:65535"} {
		if _, err := load(t, map[string]string{"UPSKILL_ADDR": good}); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{":99999", "127.0.0.1:", ":-1", "nonsense"} {
		if _, err := load(t, map[string]string{"UPSKILL_ADDR": bad}); err == nil || !strings.Contains(err.Error(), "UPSKILL_ADDR") {
			t.Errorf("%q: err %v, want one naming UPSKILL_ADDR", bad, err)
		}
	}
}

// /metrics needs its token unless made public on purpose, and requests
// have read timeouts short enough that a trickled body ends.
func TestMetricsAndTimeoutDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsPublic || c.ReadHeaderTimeout != 10*time.Second || c.ReadTimeout != time.Minute {
		t.Fatalf("defaults: public %v, header %s, read %s", c.MetricsPublic, c.ReadHeaderTimeout, c.ReadTimeout)
	}
	c, err = load(t, map[string]string{"UPSKILL_METRICS_PUBLIC": "true", "UPSKILL_READ_TIMEOUT": "5m"})
	if err != nil || !c.MetricsPublic || c.ReadTimeout != 5*time.Minute {
		t.Fatalf("set: %+v %v", c, err)
	}
	if _, err := load(t, map[string]string{"UPSKILL_METRICS_PUBLIC": "sometimes"}); err == nil || !strings.Contains(err.Error(), "UPSKILL_METRICS_PUBLIC") {
		t.Fatalf("bad boolean: %v", err)
	}
}

// The profiler listens on loopback only, or not at all.
func TestProfilerOnLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"", "127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		c, err := load(t, map[string]string{"UPSKILL_PPROF_ADDR": ok})
		if err != nil || c.PprofAddr != ok {
			t.Fatalf("%q: %q, %v", ok, c.PprofAddr, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "10.0.0.5:6060", "example.com:6060", "127.0.0.1"} {
		if _, err := load(t, map[string]string{"UPSKILL_PPROF_ADDR": bad}); err == nil || !strings.Contains(err.Error(), "UPSKILL_PPROF_ADDR") {
			t.Fatalf("%q accepted: %v", bad, err)
		}
	}
}

// Every setting has its line in the README's configuration table.
func TestEverySettingIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		row := "| `" + s.env + "` | `--" + s.flag + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
}

// The mail relay's URL holds its password: the start-up log says only
// whether a relay is set.
func TestLogAttrsNeverShowTheMailRelayPassword(t *testing.T) {
	cfg, err := load(t, map[string]string{"UPSKILL_SMTP_URL": "smtp://mailer:s3cret@mail.example.com:587",
		"UPSKILL_MAIL_FROM": "Training <training@example.com>", "UPSKILL_TIMEZONE": "Europe/London"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range cfg.LogAttrs() {
		fmt.Fprint(&b, a, " ")
	}
	if got := b.String(); strings.Contains(got, "s3cret") || !strings.Contains(got, "mail_relay_set true") ||
		!strings.Contains(got, "Europe/London") {
		t.Fatalf("log attributes: %s", got)
	}
}
