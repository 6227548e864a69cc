package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func cacheTestService(t testing.TB, db *store.DB) *Service {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	set, err := keys.NewSet(key)
	if err != nil {
		t.Fatal(err)
	}
	return New(db, Options{Tokens: &TokenIssuer{Keys: set, Issuer: "http://upskill.test", Audience: Audience}})
}

func insertUser(t testing.TB, db *store.DB) string {
	t.Helper()
	id := uuid.NewString()
	now := time.Now().UTC()
	if err := db.W.Exec(`INSERT INTO users (id, email, name, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, id+"@example.com", "Ada", "learner", now, now).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// Authenticate may answer from its cache, but a role change, a revoked
// login or a disabled account made in this process take effect on the very
// next request, and one made by another process (the command line, another
// replica) still arrives, without a database read per request.
func TestAuthenticateSeesEveryChange(t *testing.T) {
	storetest.Replicas(t, 2, func(t *testing.T, dbs []*store.DB) {
		ctx := context.Background()
		s := cacheTestService(t, dbs[0])
		id := insertUser(t, dbs[0])
		family := uuid.NewString()
		now := time.Now().UTC()
		if err := dbs[0].W.Exec(`INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			uuid.NewString(), family, id, uuid.NewString(), now, now.Add(time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		plain, _, err := s.Tokens().Issue(id, []string{RoleLearner})
		if err != nil {
			t.Fatal(err)
		}
		session, _, err := s.Tokens().IssueForSession(id, []string{RoleLearner}, family)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // the later ones from the cache
			if p, err := s.Authenticate(ctx, plain); err != nil || p.Roles.Has(RoleHR) {
				t.Fatalf("before any change: %+v, %v", p, err)
			}
			if _, err := s.Authenticate(ctx, session); err != nil {
				t.Fatal(err)
			}
		}

		// A role change in this process: at once.
		if err := dbs[0].W.Exec(`UPDATE users SET roles = ? WHERE id = ?`, "hr,learner", id).Error; err != nil {
			t.Fatal(err)
		}
		if p, err := s.Authenticate(ctx, plain); err != nil || !p.Roles.Has(RoleHR) {
			t.Fatalf("after the role change: %+v, %v", p, err)
		}

		// A revoked login in this process: at once, and only that login.
		if err := dbs[0].W.Exec(`UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ?`, time.Now().UTC(), family).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, session); err == nil {
			t.Fatal("the revoked login's access token still works")
		}
		if _, err := s.Authenticate(ctx, plain); err != nil {
			t.Fatal(err)
		}

		// Disabled by another process: the change arrives (no timing asserted;
		// the loop only bounds the test).
		if err := dbs[1].W.Exec(`UPDATE users SET disabled = ? WHERE id = ?`, true, id).Error; err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := s.Authenticate(ctx, plain); err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a user disabled by another process can still act")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// BenchmarkAuthenticate is the token check of every signed-in request:
// cached (the usual case) and cold (signature and database read).
func BenchmarkAuthenticate(b *testing.B) {
	db := storetest.SQLite(b)
	s := cacheTestService(b, db)
	id := insertUser(b, db)
	tok, _, err := s.Tokens().Issue(id, []string{RoleLearner})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Authenticate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.auth = authCache{}
			if _, err := s.loadPrincipal(ctx, id, ""); err != nil {
				b.Fatal(err)
			}
			if _, err := s.tokens.Parse(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
