package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/outbound"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
)

// RotationOverlap is how long the previous secret still signs after a
// rotation.
const RotationOverlap = 24 * time.Hour

// maxURL bounds a webhook URL.
const maxURL = 2000

type webhookRow struct {
	ID             string `gorm:"primaryKey"`
	URL            string
	Events         string
	Secret         string
	PreviousSecret string
	PreviousUntil  *time.Time
	CreatedBy      string
	CreatedAt      time.Time
	RotatedAt      *time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

// Webhook is an endpoint as admins see it: never its secret.
type Webhook struct {
	ID        string     `json:"id"`
	URL       string     `json:"url"`
	Events    []string   `json:"events"`
	CreatedAt time.Time  `json:"created_at"`
	RotatedAt *time.Time `json:"rotated_at"`
	// Secret is set only in the answer that creates or rotates it.
	Secret string `json:"secret,omitempty"`
	// PreviousValidUntil is when the secret before the last rotation
	// stops signing; nil when none does.
	PreviousValidUntil *time.Time `json:"previous_secret_valid_until"`
}

func (r *webhookRow) view(now time.Time) Webhook {
	var evs []string
	_ = json.Unmarshal([]byte(r.Events), &evs)
	w := Webhook{ID: r.ID, URL: r.URL, Events: evs, CreatedAt: r.CreatedAt.UTC(), RotatedAt: utcPtr(r.RotatedAt)}
	if r.PreviousUntil != nil && r.PreviousUntil.After(now) {
		w.PreviousValidUntil = utcPtr(r.PreviousUntil)
	}
	return w
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateWebhook registers url for evs and returns it with its secret,
// shown this once.
func (s *Service) CreateWebhook(ctx context.Context, actor, rawURL string, evs []string) (Webhook, error) {
	var bad []fault.FieldError
	rawURL = strings.TrimSpace(rawURL)
	switch {
	case rawURL == "":
		bad = append(bad, fault.FieldError{Field: "url", Message: "required"})
	case len(rawURL) > maxURL:
		bad = append(bad, fault.FieldError{Field: "url", Message: "at most 2000 characters"})
	default:
		if _, err := s.opt.Policy.CheckURL(rawURL); err != nil {
			bad = append(bad, fault.FieldError{Field: "url", Message: strings.TrimPrefix(err.Error(), outbound.ErrRefused.Error()+": ")})
		}
	}
	if len(evs) == 0 {
		bad = append(bad, fault.FieldError{Field: "events", Message: "at least one event: " + strings.Join(events.Types, ", ")})
	}
	for i, e := range evs {
		if !events.Known(e) {
			bad = append(bad, fault.FieldError{Field: "events[" + strconv.Itoa(i) + "]", Message: "unknown event; one of " + strings.Join(events.Types, ", ")})
		}
	}
	if len(bad) > 0 {
		return Webhook{}, fault.InvalidFields("the webhook is not valid", bad...)
	}
	evs = slices.Compact(slices.Sorted(slices.Values(evs)))
	secret := newSecret()
	sealed, err := s.seal(secret)
	if err != nil {
		return Webhook{}, fault.Wrap(err, "could not seal the webhook secret")
	}
	list, _ := json.Marshal(evs)
	now := s.now()
	row := webhookRow{ID: uuid.Must(uuid.NewV7()).String(), URL: rawURL, Events: string(list), Secret: sealed,
		CreatedBy: actor, CreatedAt: now}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.WebhookCreated, "webhook:"+row.ID,
			map[string]any{"url": rawURL, "events": evs})
	})
	if err != nil {
		return Webhook{}, fault.Wrap(err, "could not register the webhook")
	}
	w := row.view(now)
	w.Secret = secret
	return w, nil
}

// ListWebhooks returns every endpoint, oldest first.
func (s *Service) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var rows []webhookRow
	if err := s.db.R.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fault.Wrap(err, "could not read the webhooks")
	}
	now := s.now()
	out := make([]Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].view(now)
	}
	return out, nil
}

func noWebhook(id string) error { return fault.New(fault.NotFound, "no webhook %q", id) }

// DeleteWebhook removes an endpoint; its pending deliveries then fail.
func (s *Service) DeleteWebhook(ctx context.Context, actor, id string) error {
	if uuid.Validate(id) != nil {
		return noWebhook(id)
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&webhookRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return noWebhook(id)
		}
		return audit.Record(ctx, tx, actor, audit.WebhookDeleted, "webhook:"+id, nil)
	})
	return fault.Ensure(err, "could not delete webhook %q", id)
}

// RotateSecret gives an endpoint a new secret, returned this once; the
// old one keeps signing for RotationOverlap.
func (s *Service) RotateSecret(ctx context.Context, actor, id string) (Webhook, error) {
	if uuid.Validate(id) != nil {
		return Webhook{}, noWebhook(id)
	}
	secret := newSecret()
	sealed, err := s.seal(secret)
	if err != nil {
		return Webhook{}, fault.Wrap(err, "could not seal the webhook secret")
	}
	now := s.now()
	var row webhookRow
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			if store.IsNotFound(err) {
				return noWebhook(id)
			}
			return err
		}
		until := now.Add(RotationOverlap)
		row.PreviousSecret, row.PreviousUntil, row.Secret, row.RotatedAt = row.Secret, &until, sealed, &now
		if err := tx.Model(&webhookRow{}).Where("id = ?", id).Updates(map[string]any{
			"previous_secret": row.PreviousSecret, "previous_until": until, "secret": sealed, "rotated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.WebhookRotated, "webhook:"+id, nil)
	})
	if err != nil {
		return Webhook{}, fault.Ensure(err, "could not rotate the secret of webhook %q", id)
	}
	w := row.view(now)
	w.Secret = secret
	return w, nil
}

// WebhookBody is what an endpoint receives: the Standard Webhooks payload
// shape ({"type","timestamp","data"}) with the event id.
type WebhookBody struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// webhookPayload is the outbox row of one delivery: the endpoint and the
// exact body, fixed when the event happened so every retry sends the same
// bytes.
type webhookPayload struct {
	Webhook string          `json:"webhook"`
	EventID string          `json:"event_id"`
	Body    json.RawMessage `json:"body"`
}

// Emit is the events.Sink: it writes, inside tx, one outbox row per
// endpoint that wants ev and, when an LRS is configured, the xAPI
// statements ev stands for.
func (s *Service) Emit(tx *gorm.DB, ev events.Event) error {
	now := s.now()
	var hooks []webhookRow
	if err := tx.Select("id, events").Find(&hooks).Error; err != nil {
		return fmt.Errorf("evidence: read webhooks: %w", err)
	}
	var body []byte
	for _, h := range hooks {
		if !h.wants(ev.Type) {
			continue
		}
		if body == nil {
			b, err := json.Marshal(WebhookBody{ID: ev.ID, Type: ev.Type, Timestamp: ev.At, Data: ev.Data})
			if err != nil {
				return fmt.Errorf("evidence: event body: %w", err)
			}
			body = b
		}
		m := outbox.Message{Target: TargetWebhook, Kind: ev.Type, Key: h.ID + ":" + ev.UserID,
			Payload: webhookPayload{Webhook: h.ID, EventID: ev.ID, Body: body}}
		if ev.DedupKey != "" {
			m.DedupKey = "webhook:" + h.ID + ":" + ev.UserID + ":" + ev.DedupKey
		}
		if _, err := outbox.Enqueue(tx, now, s.opt.GiveUp, m); err != nil {
			return err
		}
	}
	return s.emitXAPI(tx, now, ev)
}

// WebhookDeliverer returns the outbox deliverer for webhooks.
func (s *Service) WebhookDeliverer() outbox.Deliverer {
	client := s.opt.Policy.Client(s.opt.Timeout)
	return outbox.DelivererFunc(func(ctx context.Context, m outbox.Claimed) error {
		return s.deliverWebhook(ctx, client, m)
	})
}

func (s *Service) deliverWebhook(ctx context.Context, client *http.Client, m outbox.Claimed) error {
	var p webhookPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("unreadable webhook row: %w", err))
	}
	var h webhookRow
	if err := s.db.R.WithContext(ctx).Where("id = ?", p.Webhook).Take(&h).Error; err != nil {
		if store.IsNotFound(err) {
			return outbox.Permanent(fmt.Errorf("webhook %s was deleted", p.Webhook))
		}
		return err
	}
	if _, err := s.opt.Policy.CheckURL(h.URL); err != nil {
		return outbox.Permanent(err)
	}
	now := s.opt.Now()
	secrets := []string{h.Secret}
	if h.PreviousSecret != "" && h.PreviousUntil != nil && h.PreviousUntil.After(now) {
		secrets = append(secrets, h.PreviousSecret)
	}
	// The attempt's own time, from the wall clock: receivers compare it
	// with theirs to refuse replays (the service clock may be a test's).
	ts := time.Now().Unix()
	var sigs []string
	for _, sealed := range secrets {
		secret, err := s.unseal(sealed)
		if err != nil {
			return outbox.Permanent(err)
		}
		sig, err := Sign(secret, p.EventID, ts, p.Body)
		if err != nil {
			return outbox.Permanent(err)
		}
		sigs = append(sigs, sig)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(p.Body))
	if err != nil {
		return outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "upskill-webhooks/1")
	req.Header.Set("webhook-id", p.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", strings.Join(sigs, " "))
	res, err := client.Do(req)
	if err != nil {
		if outbound.IsRefused(err) {
			return outbox.Permanent(err)
		}
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		return fmt.Errorf("endpoint answered %d (redirects are not followed)", res.StatusCode)
	}
	return fmt.Errorf("endpoint answered %d", res.StatusCode)
}

// wants reports whether the endpoint subscribed to any of types.
func (r webhookRow) wants(types ...string) bool {
	var want []string
	if json.Unmarshal([]byte(r.Events), &want) != nil {
		return false
	}
	for _, t := range types {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}
