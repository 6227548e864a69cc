package store

import "testing"

func TestNewQueryNumbersPlaceholdersForPostgres(t *testing.T) {
	q := NewQuery(`SELECT '?', "a?b" FROM t WHERE a = ? AND b IN (` + Placeholders(3) + `)`)
	if want := `SELECT '?', "a?b" FROM t WHERE a = $1 AND b IN ($2, $3, $4)`; q.postgres != want {
		t.Fatalf("postgres = %q, want %q", q.postgres, want)
	}
	if q.sqlite != `SELECT '?', "a?b" FROM t WHERE a = ? AND b IN (?, ?, ?)` {
		t.Fatalf("sqlite = %q", q.sqlite)
	}
}
