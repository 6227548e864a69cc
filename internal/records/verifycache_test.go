package records

import (
	"testing"
)

// The cache answers as VerifyAt does: a credential checked once is known,
// another issuer or key set is checked afresh, and a tampered credential
// is refused however often the genuine one was seen.
func TestVerifyCacheAnswersAsVerifyAt(t *testing.T) {
	set := newSet(t)
	cred, err := (&Signer{Keys: set, Issuer: testIssuer}).Sign(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	var v VerifyCache
	for range 3 {
		got, err := v.VerifyAt(cred, set, testIssuer, issued)
		if err != nil || got.ID != sampleClaims().ID {
			t.Fatalf("genuine: %+v, %v", got, err)
		}
	}
	if _, err := v.VerifyAt(cred, set, "https://other.example", issued); err == nil {
		t.Fatal("another issuer accepted from the cache")
	}
	if _, err := v.VerifyAt(cred, newSet(t), testIssuer, issued); err == nil {
		t.Fatal("another key set accepted from the cache")
	}
	tampered := cred[:len(cred)-2] + "AA"
	if tampered == cred {
		tampered = cred[:len(cred)-2] + "BB"
	}
	if _, err := v.VerifyAt(tampered, set, testIssuer, issued); err == nil {
		t.Fatal("a tampered credential verified")
	}
}

// BenchmarkVerifyCache is the signature check of public verification:
// the first sight of a credential, and every later one.
func BenchmarkVerifyCache(b *testing.B) {
	set := newSet(b)
	cred, err := (&Signer{Keys: set, Issuer: testIssuer}).Sign(sampleClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			if _, err := VerifyAt(cred, set, testIssuer, issued); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		var v VerifyCache
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyAt(cred, set, testIssuer, issued); err != nil {
				b.Fatal(err)
			}
		}
	})
}
