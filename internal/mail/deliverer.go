package mail

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/upskill/upskill/internal/outbox"
)

// Letter is one message about to be rendered: who gets it and the data
// its template needs.
type Letter struct {
	ToName, ToEmail string
	Data            any
}

// ComposeFunc turns an outbox payload (ids) into a Letter when the message
// goes out: this is where a live token is minted, never earlier. It returns
// outbox.Permanent for a message that can no longer be sent (the person was
// disabled, say).
type ComposeFunc func(ctx context.Context, payload json.RawMessage) (Letter, error)

// Deliverer is the outbox's deliverer for the "mail" target.
type Deliverer struct {
	Sender    *Sender
	Templates *Templates
	Org       string
	BaseURL   string
	// Compose has one function per kind of message.
	Compose map[string]ComposeFunc
}

// Deliver composes, renders and sends one message.
func (d *Deliverer) Deliver(ctx context.Context, m outbox.Claimed) error {
	compose, ok := d.Compose[m.Kind]
	if !ok {
		return outbox.Permanent(fmt.Errorf("no mail composer for %q", m.Kind))
	}
	l, err := compose(ctx, m.Payload)
	if err != nil {
		return err
	}
	r, err := d.Templates.Render(m.Kind, View{Org: d.Org, BaseURL: d.BaseURL, Name: l.ToName, Data: l.Data})
	if err != nil {
		return outbox.Permanent(err)
	}
	return d.Sender.Send(ctx, l.ToName, l.ToEmail, r)
}

// TokenData is the data of an invitation or a reset message.
type TokenData struct {
	Link      string
	ExpiresAt string // formatted for people
}
