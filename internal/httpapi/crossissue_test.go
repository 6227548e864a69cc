package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// Erasure meets readiness: a path record is re-signed under the pseudonym
// as a path record (it still verifies, old copy included), the person's
// pulse answers go, their own export held them and an admin's did not.
func TestErasureOfPathRecordsAndPulseAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishShort(t, e, "prompting", "checking")
		publishDoc(t, e, catalog.KindPath, "ai-starter", "---\ntitle: AI starter\nsummary: Two short steps.\nmodules: [prompting, checking]\n---\n\nStart here.\n")
		publishDoc(t, e, catalog.KindPulse, "ai-pulse", "---\ntitle: AI pulse\nfor: [prompting]\n---\n\n## I understand AI {#understand}\n\n## I feel secure {#secure}\n")
		adminC, _ := e.as(identity.RoleAdmin)
		learner, me := e.as(identity.RoleLearner)

		completeShort(t, learner, "prompting")
		learner.Post("/api/v1/pulses/ai-pulse/responses", map[string]any{"phase": "after",
			"answers": map[string]int{"understand": 2, "secure": 3}}).Want(t, http.StatusCreated)
		completeShort(t, learner, "checking")
		_, valid, oldCredential := pathRecords(t, learner)
		if len(valid) != 1 {
			t.Fatalf("path records before erasure: %v", valid)
		}

		var own, byAdmin struct{ Kinds map[string][]map[string]any }
		learner.Get("/api/v1/me/export?format=json").Want(t, http.StatusOK).Decode(t, &own)
		if len(own.Kinds["pulse_answers"]) != 2 {
			t.Errorf("the person's own export lacks their pulse answers: %v", own)
		}
		adminC.Get("/api/v1/users/"+me.ID+"/export?format=json").Want(t, http.StatusOK).Decode(t, &byAdmin)
		if _, ok := byAdmin.Kinds["pulse_answers"]; ok {
			t.Errorf("an admin's export holds pulse answers")
		}

		var out struct{ ID, Pseudonym string }
		res := adminC.Post("/api/v1/users/"+me.ID+"/erase", map[string]any{"reason": "left"})
		if res.Status != http.StatusOK {
			t.Fatalf("erase: %d %s\nlogs: %s", res.Status, res.Body, e.logs.String())
		}
		res.Decode(t, &out)
		var n int64
		if err := db.R.Table("pulse_answers").Where("user_id = ?", me.ID).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("pulse answers after erasure: %d (%v)", n, err)
		}
		v := e.c.Post("/api/v1/records/verify", map[string]any{"credential": oldCredential}).Want(t, http.StatusOK).Map(t)
		rec, _ := v["record"].(map[string]any)
		if v["valid"] != true || rec["holder_name"] != out.Pseudonym {
			t.Errorf("old copy of the path record: %v", v)
		}
		cur := adminC.Get("/api/v1/records/"+valid[0]).Want(t, http.StatusOK).Map(t)
		if cur["kind"] != "path" || cur["path"] != "ai-starter" {
			t.Errorf("the re-signed record is no longer a path record: %v", cur)
		}
		v = e.c.Post("/api/v1/records/verify", map[string]any{"credential": cur["credential"]}).Want(t, http.StatusOK).Map(t)
		rec, _ = v["record"].(map[string]any)
		if v["valid"] != true || rec["holder_name"] != out.Pseudonym || rec["kind"] != "path" {
			t.Errorf("the re-signed path record: %v", v)
		}
	})
}

// Modules, paths, pulses and policies share one slug namespace, whichever
// is published first.
func TestOneSlugNamespaceAcrossKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishShort(t, e, "prompting")
		publishDoc(t, e, catalog.KindPath, "ai-path", "---\ntitle: AI path\nsummary: One step.\nmodules: [prompting]\n---\n\nStart here.\n")
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/policies/ai-use", policyUpload("AI use", "Text.")).Want(t, http.StatusCreated)

		// A policy may not take a module's or a path's slug.
		trainer.Put("/api/v1/policies/prompting", policyUpload("Clash", "Text.")).Want(t, http.StatusUnprocessableEntity)
		trainer.Put("/api/v1/policies/ai-path", policyUpload("Clash", "Text.")).Want(t, http.StatusUnprocessableEntity)
		// Nor a path, a pulse or a module a policy's.
		if _, err := e.srv.Catalog.PublishDoc(context.Background(), catalog.KindPath, "ai-use",
			[]byte("---\ntitle: Clash\nsummary: x.\nmodules: [prompting]\n---\n\nText.\n"), ""); err == nil {
			t.Error("a path took a policy's slug")
		}
		if _, err := e.srv.Catalog.PublishDoc(context.Background(), catalog.KindPulse, "ai-use",
			[]byte("---\ntitle: Clash\nfor: [prompting]\n---\n\n## I understand AI {#understand}\n"), ""); err == nil {
			t.Error("a pulse took a policy's slug")
		}
		trainer.Put("/api/v1/modules/ai-use", shortModule("Clash")).Want(t, http.StatusUnprocessableEntity)
	})
}
