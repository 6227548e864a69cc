package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/outbound"
	"github.com/upskill/upskill/internal/outbox"
)

// XAPIVersion is the version of every statement and request.
const XAPIVersion = "1.0.3"

// ADL verbs.
const (
	VerbCompleted = "http://adlnet.gov/expapi/verbs/completed"
	VerbPassed    = "http://adlnet.gov/expapi/verbs/passed"
	VerbFailed    = "http://adlnet.gov/expapi/verbs/failed"
)

// registrationSpace names the registrations: one UUID per learner, module
// and certification round, the same in every statement about it.
var registrationSpace = uuid.MustParse("6f1c3a52-55b8-4d3e-9a43-8f2d0c7e1b90")

// Statement is an xAPI 1.0.3 statement as upskill writes it.
type Statement struct {
	ID        string         `json:"id"`
	Actor     map[string]any `json:"actor"`
	Verb      map[string]any `json:"verb"`
	Object    map[string]any `json:"object"`
	Result    map[string]any `json:"result,omitempty"`
	Context   map[string]any `json:"context"`
	Timestamp string         `json:"timestamp"`
	Version   string         `json:"version"`
}

// ActivityIRI is the stable IRI of a module as an xAPI activity.
func (s *Service) ActivityIRI(slug string) string {
	return strings.TrimRight(s.opt.BaseURL, "/") + "/modules/" + url.PathEscape(slug)
}

// statements are the xAPI statements an event stands for: attempt.submitted
// is passed or failed; record.issued is completed.
func (s *Service) statements(ev events.Event) []Statement {
	str := func(k string) string { v, _ := ev.Data[k].(string); return v }
	num := func(k string) (int, bool) {
		switch v := ev.Data[k].(type) {
		case int:
			return v, true
		case *int:
			if v != nil {
				return *v, true
			}
		}
		return 0, false
	}
	module := str("module")
	rev, _ := num("revision")
	cycle, _ := num("cycle")
	var verb, display string
	result := map[string]any{}
	switch ev.Type {
	case events.AttemptSubmitted:
		passed, _ := ev.Data["passed"].(bool)
		verb, display = VerbFailed, "failed"
		if passed {
			verb, display = VerbPassed, "passed"
		}
		result["success"] = passed
		if score, ok := num("score"); ok {
			result["score"] = map[string]any{"scaled": float64(score) / 100, "raw": score, "min": 0, "max": 100}
		}
		if started, ok := ev.Data["started_at"].(time.Time); ok {
			result["duration"] = isoDuration(ev.At.Sub(started))
		}
	case events.RecordIssued:
		verb, display = VerbCompleted, "completed"
		result["completion"] = true
		result["success"] = true
		if score, ok := num("score"); ok {
			result["score"] = map[string]any{"scaled": float64(score) / 100, "raw": score, "min": 0, "max": 100}
		}
	default:
		return nil
	}
	if verb == VerbPassed || verb == VerbFailed {
		result["completion"] = false
	}
	def := map[string]any{"type": "http://adlnet.gov/expapi/activities/course"}
	if m, _, ok := s.opt.Module(module); ok {
		def["name"] = map[string]any{"en": m.Title}
		if m.Summary != "" {
			def["description"] = map[string]any{"en": m.Summary}
		}
	} else if t := str("module_title"); t != "" {
		def["name"] = map[string]any{"en": t}
	}
	base := strings.TrimRight(s.opt.BaseURL, "/")
	reg := uuid.NewSHA1(registrationSpace, []byte(ev.UserID+"\x00"+module+"\x00"+strconv.Itoa(cycle)))
	ctxt := map[string]any{
		"registration": reg.String(),
		"revision":     strconv.Itoa(rev),
		"platform":     "upskill",
	}
	if h := str("content_hash"); h != "" {
		ctxt["extensions"] = map[string]any{base + "/xapi/extensions/content-hash": h}
	}
	st := Statement{
		// Fixed now: every retry PUTs the same id, so the LRS stores it once.
		ID: uuid.NewSHA1(registrationSpace, []byte(ev.ID+"\x00"+verb)).String(),
		Actor: map[string]any{"objectType": "Agent",
			"account": map[string]any{"homePage": base + "/", "name": ev.UserID}},
		Verb:      map[string]any{"id": verb, "display": map[string]any{"en-US": display}},
		Object:    map[string]any{"objectType": "Activity", "id": s.ActivityIRI(module), "definition": def},
		Result:    result,
		Context:   ctxt,
		Timestamp: ev.At.UTC().Format(time.RFC3339Nano),
		Version:   XAPIVersion,
	}
	return []Statement{st}
}

// isoDuration writes d as an ISO 8601 duration in hours, minutes and
// seconds (hundredths at most, as xAPI stores).
func isoDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(10 * time.Millisecond)
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	sec := float64(d%time.Minute) / float64(time.Second)
	return fmt.Sprintf("PT%dH%dM%sS", h, m, strconv.FormatFloat(sec, 'f', -1, 64))
}

func (s *Service) emitXAPI(tx *gorm.DB, now time.Time, ev events.Event) error {
	if !s.XAPIEnabled() {
		return nil
	}
	for _, st := range s.statements(ev) {
		m := outbox.Message{Target: TargetXAPI, Kind: ev.Type, Key: ev.UserID, Payload: st,
			DedupKey: "xapi:" + st.ID}
		if _, err := outbox.Enqueue(tx, now, s.opt.GiveUp, m); err != nil {
			return err
		}
	}
	return nil
}

// XAPIDeliverer returns the outbox deliverer for the LRS.
func (s *Service) XAPIDeliverer() outbox.Deliverer {
	client := s.opt.Policy.Client(s.opt.Timeout)
	return outbox.DelivererFunc(func(ctx context.Context, m outbox.Claimed) error {
		return s.deliverStatement(ctx, client, m)
	})
}

func (s *Service) deliverStatement(ctx context.Context, client *http.Client, m outbox.Claimed) error {
	var st struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(m.Payload, &st); err != nil {
		return outbox.Permanent(fmt.Errorf("unreadable statement row: %w", err))
	}
	if st.ID == "" {
		return outbox.Permanent(errors.New("statement row without an id"))
	}
	endpoint := s.opt.XAPI.Endpoint
	if !strings.HasSuffix(endpoint, "/") {
		endpoint += "/"
	}
	target := endpoint + "statements?statementId=" + url.QueryEscape(st.ID)
	if _, err := s.opt.Policy.CheckURL(target); err != nil {
		return outbox.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, bytes.NewReader(m.Payload))
	if err != nil {
		return outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Experience-API-Version", XAPIVersion)
	req.SetBasicAuth(s.opt.XAPI.Username, s.opt.XAPI.Password)
	res, err := client.Do(req)
	if err != nil {
		if outbound.IsRefused(err) {
			return outbox.Permanent(err)
		}
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		return nil
	case http.StatusConflict:
		// The LRS holds a different statement under this id: retrying
		// cannot change that.
		return outbox.Permanent(fmt.Errorf("LRS answered 409: another statement has id %s", st.ID))
	default:
		return fmt.Errorf("LRS answered %d", res.StatusCode)
	}
}
