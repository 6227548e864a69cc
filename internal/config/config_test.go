package config

import (
	"strings"
	"testing"
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
