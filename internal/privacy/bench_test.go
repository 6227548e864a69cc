package privacy_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// seedHeavy gives one person n modules' worth of data: an attempt, a
// record, feedback and three audit entries each.
func seedHeavy(b *testing.B, db *store.DB, n int) string {
	b.Helper()
	uid := uuid.NewString()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		if err := db.W.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO users (id, email, name, department, employee_id, roles, created_at, updated_at)
  VALUES (?, 'heavy@example.com', 'Heavy Person', 'Marketing', 'EMP-1', 'learner', ?, ?)`, uid, now, now)
	for i := range n {
		mod := fmt.Sprintf("module-%04d", i)
		exec(`INSERT INTO attempts (id, user_id, module, revision, cycle, number, questions, pass_mark, reveal, answers,
  started_at, submitted_at, score, passed) VALUES (?, ?, ?, 1, 0, 1, ?, 80, 'always', '{"q1":["a"]}', ?, ?, 100, ?)`,
			uuid.NewString(), uid, mod, `[{"id":"q1","kind":"single","prompt_html":"<p>Which?</p>","choices":[{"id":"a","text_html":"A","correct":true},{"id":"b","text_html":"B","correct":false}]}]`,
			now, now, true)
		exec(`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, score, holder_name, issued_at, credential)
  VALUES (?, ?, ?, 'Title', 1, 'sha256:x', 0, 100, 'Heavy Person', ?, 'old-credential-`+mod+`')`, uuid.NewString(), uid, mod, now)
		exec(`INSERT INTO feedback (user_id, module, revision, rating, comment, created_at, updated_at) VALUES (?, ?, 1, 4, 'Heavy Person liked it', ?, ?)`,
			uid, mod, now, now)
		for range 3 {
			exec(`INSERT INTO audit_events (at, actor_id, action, target, details) VALUES (?, ?, 'x.y', ?, '{"email":"heavy@example.com"}')`, now, uid, uid)
		}
	}
	return uid
}

func heavyService(b *testing.B, db *store.DB) *privacy.Service {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	set, err := keys.NewSet(k)
	if err != nil {
		b.Fatal(err)
	}
	return privacy.New(db, privacy.Options{Signer: &records.Signer{Keys: set, Issuer: "http://upskill.test"}})
}

// BenchmarkExportZIP exports a person with 500 modules' worth of data on
// SQLite.
//
//	go test ./internal/privacy -run '^$' -bench Export -benchtime 20x
func BenchmarkExportZIP(b *testing.B) {
	db := storetest.SQLite(b)
	uid := seedHeavy(b, db, 500)
	svc := heavyService(b, db)
	var size int64
	b.ResetTimer()
	for range b.N {
		cw := &countingWriter{}
		if err := svc.Export(context.Background(), uid, uid, true, privacy.ZIP, cw, func() {}); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(size)/1024, "KiB/export")
}

// BenchmarkErase erases a person with 500 records (each re-signed) and
// 1,500 audit entries that quote them, then checkpoints the WAL.
//
//	go test ./internal/privacy -run '^$' -bench Erase -benchtime 5x
func BenchmarkErase(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db := storetest.SQLite(b)
		uid := seedHeavy(b, db, 500)
		svc := heavyService(b, db)
		admin := identity.Principal{UserID: uuid.NewString(), Roles: identity.Roles{identity.RoleAdmin}}
		b.StartTimer()
		if _, err := svc.Erase(context.Background(), admin, uid, "benchmark"); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
