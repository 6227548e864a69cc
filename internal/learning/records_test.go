package learning_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func TestRecordAccessVerifyAndRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: threeQuestions})
		u := e.user()
		e.completeLessons(u, "bias")
		a, _, _ := e.svc.StartAttempt(ctx, u, "bias")
		res, _ := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		rec := res.Completion
		if rec == nil || *rec.Score != 100 || rec.AttemptID == nil || *rec.AttemptID != a.ID {
			t.Fatalf("record = %+v", rec)
		}

		holder := identity.Principal{UserID: u, Roles: identity.Roles{"learner"}}
		for name, p := range map[string]identity.Principal{
			"holder": holder,
			"hr":     {UserID: "h", Roles: identity.Roles{"hr"}},
			"admin":  {UserID: "a", Roles: identity.Roles{"admin"}},
		} {
			if got, err := e.svc.GetRecord(ctx, p, rec.ID); err != nil || got.ID != rec.ID {
				t.Errorf("%s: %v", name, err)
			}
		}
		for name, p := range map[string]identity.Principal{
			"another learner": {UserID: "x", Roles: identity.Roles{"learner"}},
			"trainer":         {UserID: "t", Roles: identity.Roles{"trainer"}},
		} {
			if _, err := e.svc.GetRecord(ctx, p, rec.ID); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s: %v", name, err)
			}
			if _, err := e.svc.Certificate(ctx, p, rec.ID); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s certificate: %v", name, err)
			}
		}

		v, err := e.svc.Verify(ctx, rec.ID)
		if err != nil || !v.Valid || v.Status != learning.RecordValid || v.Record.HolderName != rec.HolderName {
			t.Fatalf("verify = %+v, %v", v, err)
		}
		if v, err := e.svc.VerifyCredential(ctx, rec.Credential); err != nil || !v.Valid || v.Record.ID != rec.ID {
			t.Fatalf("verify credential = %+v, %v", v, err)
		}
		if _, err := e.svc.Verify(ctx, "nope"); !fault.Is(err, fault.NotFound) {
			t.Fatalf("unknown id: %v", err)
		}

		// Forged with another key, altered, and garbage: valid false, no facts.
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		otherSet, _ := keys.NewSet(other)
		c, _ := records.VerifyAt(rec.Credential, e.keys, issuer, e.clock.Now())
		forged, _ := (&records.Signer{Keys: otherSet, Issuer: issuer}).Sign(*c)
		parts := strings.Split(rec.Credential, ".")
		altered := parts[0] + "." + parts[1] + "x." + parts[2]
		for name, cred := range map[string]string{"forged": forged, "altered": altered, "garbage": "not a credential"} {
			v, err := e.svc.VerifyCredential(ctx, cred)
			if err != nil || v.Valid || v.Status != learning.Invalid || v.Record != nil {
				t.Errorf("%s: %+v, %v", name, v, err)
			}
		}

		admin := identity.Principal{UserID: e.user(), Roles: identity.Roles{"admin"}}
		if _, err := e.svc.Revoke(ctx, holder, rec.ID, "no"); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("learner revokes: %v", err)
		}
		if _, err := e.svc.Revoke(ctx, admin, rec.ID, "  "); !fault.Is(err, fault.Invalid) {
			t.Fatalf("no reason: %v", err)
		}
		got, err := e.svc.Revoke(ctx, admin, rec.ID, "Answers were shared")
		if err != nil || got.Status != learning.RecordRevoked || got.RevokeReason != "Answers were shared" {
			t.Fatalf("revoke = %+v, %v", got, err)
		}
		_, err = e.svc.Revoke(ctx, admin, rec.ID, "again")
		wantProblem(t, err, fault.Conflict, learning.TypeRecordRevoked)
		_, err = e.svc.Certificate(ctx, holder, rec.ID)
		wantProblem(t, err, fault.Conflict, learning.TypeRecordRevoked)
		events, _, _ := audit.List(ctx, db, audit.Filter{Action: audit.RecordRevoked}, page.Request{Limit: 5})
		if len(events) != 1 || events[0].Target != rec.ID || events[0].Details["reason"] != "Answers were shared" {
			t.Fatalf("audit = %+v", events)
		}
		for _, check := range []func() (learning.Verification, error){
			func() (learning.Verification, error) { return e.svc.Verify(ctx, rec.ID) },
			func() (learning.Verification, error) { return e.svc.VerifyCredential(ctx, rec.Credential) },
		} {
			if v, err := check(); err != nil || v.Valid || v.Status != learning.RecordRevoked {
				t.Fatalf("revoked verify = %+v, %v", v, err)
			}
		}

		// A revoked record no longer counts: in progress, and can be taken again.
		p, _ := e.svc.Progress(ctx, u, "bias")
		if p.Status != learning.InProgress || p.Completion != nil || p.AttemptsUsed != 0 {
			t.Fatalf("after revocation = %+v", p)
		}
		a, created, err := e.svc.StartAttempt(ctx, u, "bias")
		if err != nil || !created {
			t.Fatalf("retake: %v", err)
		}
		res, _ = e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if res.Completion == nil || res.Completion.ID == rec.ID {
			t.Fatalf("retake record = %+v", res.Completion)
		}
	})
}

func TestFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "bias", lessons: []string{"one"}})
		u1, u2, u3 := e.user(), e.user(), e.user()
		if _, replaced, err := e.svc.GiveFeedback(ctx, u1, "bias", 2, "Too long"); err != nil || replaced {
			t.Fatalf("first = %v %v", replaced, err)
		}
		if _, replaced, err := e.svc.GiveFeedback(ctx, u1, "bias", 4, " Better on a second read "); err != nil || !replaced {
			t.Fatalf("replace = %v %v", replaced, err)
		}
		e.svc.GiveFeedback(ctx, u2, "bias", 5, "")
		e.clock.Advance(time.Minute)
		e.svc.GiveFeedback(ctx, u3, "bias", 5, "Great")
		for _, bad := range []struct {
			rating  int
			comment string
		}{{0, ""}, {6, ""}, {3, strings.Repeat("é", learning.MaxComment+1)}} {
			if _, _, err := e.svc.GiveFeedback(ctx, u1, "bias", bad.rating, bad.comment); !fault.Is(err, fault.Invalid) {
				t.Errorf("rating %d: %v", bad.rating, err)
			}
		}
		if _, _, err := e.svc.GiveFeedback(ctx, u1, "nope", 3, ""); !fault.Is(err, fault.NotFound) {
			t.Errorf("unknown module: %v", err)
		}
		sum, err := e.svc.FeedbackFor(ctx, "bias", page.Request{Limit: 50})
		if err != nil || sum.Count != 3 || *sum.AverageRating != 4.67 || sum.Distribution[5] != 2 || sum.Distribution[4] != 1 ||
			sum.Distribution[1] != 0 || len(sum.Comments) != 2 || sum.Comments[1].Comment != "Better on a second read" {
			t.Fatalf("summary = %+v, %v", sum, err)
		}
	})
}

// A row altered after signing (holder renamed, expiry pushed back, a
// credential swapped for one signed by another key) is not vouched for by
// either verify route, and none of its facts are shown.
func TestVerifyRefusesAlteredRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "privacy", lessons: []string{"one"}, quiz: threeQuestions, front: []string{"valid_for: 30d"}})
		u := e.user()
		e.completeLessons(u, "privacy")
		a, _, _ := e.svc.StartAttempt(ctx, u, "privacy")
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if err != nil || res.Completion == nil {
			t.Fatalf("pass = %+v, %v", res, err)
		}
		rec := res.Completion
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		otherSet, _ := keys.NewSet(other)
		c, _ := records.VerifyAt(rec.Credential, e.keys, issuer, e.clock.Now())
		forged, _ := (&records.Signer{Keys: otherSet, Issuer: issuer}).Sign(*c)
		later := rec.ExpiresAt.AddDate(10, 0, 0)
		for name, change := range map[string]map[string]any{
			"holder renamed":      {"holder_name": "Mallory"},
			"expiry pushed back":  {"expires_at": later},
			"score raised":        {"score": 101},
			"credential replaced": {"credential": forged},
		} {
			if err := db.W.Table("records").Where("id = ?", rec.ID).Updates(change).Error; err != nil {
				t.Fatal(err)
			}
			if v, err := e.svc.Verify(ctx, rec.ID); err != nil || v.Valid || v.Status != learning.Invalid || v.Record != nil {
				t.Errorf("%s: verify by id = %+v, %v", name, v, err)
			}
			if v, err := e.svc.VerifyCredential(ctx, rec.Credential); err != nil || v.Valid || v.Status != learning.Invalid || v.Record != nil {
				t.Errorf("%s: verify credential = %+v, %v", name, v, err)
			}
			restore := map[string]any{"holder_name": rec.HolderName, "expires_at": *rec.ExpiresAt, "score": *rec.Score,
				"credential": rec.Credential}
			if err := db.W.Table("records").Where("id = ?", rec.ID).Updates(restore).Error; err != nil {
				t.Fatal(err)
			}
			if v, err := e.svc.Verify(ctx, rec.ID); err != nil || !v.Valid {
				t.Fatalf("%s restored: %+v, %v", name, v, err)
			}
		}
	})
}
