package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	netmail "net/mail"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/mail"
	"github.com/upskill/upskill/internal/mail/mailtest"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store/storetest"
)

// BenchmarkDelivery measures messages per second from the outbox through
// SMTP to a local relay: rows written, claimed, rendered from the embedded
// templates, sent (one SMTP session each) and recorded.
//
//	go test -run ^$ -bench Delivery -benchtime 500x ./internal/mail/
func BenchmarkDelivery(b *testing.B) {
	db := storetest.SQLite(b)
	smtpd := mailtest.Start(b)
	tpl, err := mail.LoadTemplates()
	if err != nil {
		b.Fatal(err)
	}
	from, _ := netmail.ParseAddress("Training <training@example.com>")
	d := outbox.NewDispatcher(db, outbox.Options{Batch: 64, Concurrency: 8})
	d.Register("mail", &mail.Deliverer{
		Sender:    mail.NewSender(mail.Settings{Host: "127.0.0.1", Port: smtpd.Port, TLS: mail.None, From: from}, 10*time.Second),
		Templates: tpl, Org: "Acme", BaseURL: "http://upskill.test",
		Compose: map[string]mail.ComposeFunc{"test": func(_ context.Context, p json.RawMessage) (mail.Letter, error) {
			var to string
			_ = json.Unmarshal(p, &to)
			return mail.Letter{ToName: "Bench", ToEmail: to}, nil
		}},
	})
	err = db.Tx(context.Background(), func(tx *gorm.DB) error {
		for i := range b.N {
			to := fmt.Sprintf("person%d@example.com", i)
			if _, err := outbox.Enqueue(tx, time.Now(), time.Hour, outbox.Message{Target: "mail", Kind: "test", Key: to, Payload: to}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := len(smtpd.Messages()); got != b.N {
		b.Fatalf("delivered %d of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
