package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func TestAdminsListAndRetryDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		now := e.clock.Now()
		for i, key := range []string{"u1", "u2"} {
			err := db.Tx(context.Background(), func(tx *gorm.DB) error {
				_, err := outbox.Enqueue(tx, now, time.Hour, outbox.Message{Target: "mail", Kind: fmt.Sprint("kind", i), Key: key,
					Payload: map[string]string{"secret_looking": "never listed"}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		d := outbox.NewDispatcher(db, outbox.Options{Now: e.clock.Now})
		d.Register("mail", outbox.DelivererFunc(func(_ context.Context, m outbox.Claimed) error {
			if m.Key == "u2" {
				return outbox.Permanent(errors.New("550 mailbox unavailable"))
			}
			return nil
		}))
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}

		admin, _ := e.as(identity.RoleAdmin)
		res := admin.Get("/api/v1/admin/deliveries")
		if res.Status != http.StatusOK || len(res.Map(t)["items"].([]any)) != 2 {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "never listed") {
			t.Fatalf("a listing must not show payloads: %s", res.Body)
		}
		res = admin.Get("/api/v1/admin/deliveries?status=failed&target=mail")
		items := res.Map(t)["items"].([]any)
		if res.Status != http.StatusOK || len(items) != 1 {
			t.Fatalf("failed only: %d %s", res.Status, res.Body)
		}
		failed := items[0].(map[string]any)
		if failed["last_error"] != "550 mailbox unavailable" || failed["kind"] != "kind1" {
			t.Fatalf("failed delivery: %v", failed)
		}
		if res := admin.Get("/api/v1/admin/deliveries?status=lost"); res.Status != http.StatusBadRequest {
			t.Fatalf("unknown status: %d %s", res.Status, res.Body)
		}
		id := int64(failed["id"].(float64))
		res = admin.Post(fmt.Sprintf("/api/v1/admin/deliveries/%d/retry", id), nil)
		if res.Status != http.StatusOK || res.Map(t)["status"] != "pending" {
			t.Fatalf("retry: %d %s", res.Status, res.Body)
		}
		if res := admin.Post(fmt.Sprintf("/api/v1/admin/deliveries/%d/retry", id), nil); res.Status != http.StatusConflict {
			t.Fatalf("retrying a pending delivery: %d %s", res.Status, res.Body)
		}
		for _, p := range []string{"/api/v1/admin/deliveries/0/retry", "/api/v1/admin/deliveries/abc/retry", "/api/v1/admin/deliveries/99999/retry"} {
			if res := admin.Post(p, nil); res.Status != http.StatusNotFound {
				t.Fatalf("POST %s: %d %s", p, res.Status, res.Body)
			}
		}
		if res := admin.Get("/api/v1/audit?action=delivery.retried"); len(res.Map(t)["items"].([]any)) != 1 {
			t.Fatalf("the retry is not audited: %s", res.Body)
		}
		for _, role := range []string{identity.RoleHR, identity.RoleTrainer, identity.RoleLearner} {
			c, _ := e.as(role)
			if res := c.Get("/api/v1/admin/deliveries"); res.Status != http.StatusForbidden {
				t.Fatalf("%s listed deliveries: %d", role, res.Status)
			}
		}
	})
}
