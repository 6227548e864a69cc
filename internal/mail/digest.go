package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/outbox"
)

// UserLookup finds the person a digest is for: identity.Service.
type UserLookup interface {
	GetUser(ctx context.Context, id string) (identity.User, error)
}

// DigestItem is one line of a digest as the template shows it.
type DigestItem struct {
	Label, Title, Date string
}

// DigestData is a digest's template data.
type DigestData struct {
	Items     []DigestItem
	Count     int
	Overdue   bool
	Link      string
	CanOptOut bool
}

var digestLabels = map[string]string{
	notify.Overdue:  "Overdue since",
	notify.DueSoon:  "Due soon",
	notify.Assigned: "New for you",
	notify.Expiring: "Your certificate expires",
	// A line manager's digest: the title names the report.
	notify.TeamOverdue: "Overdue in your team since",
	notify.Policy:      "Please read and acknowledge (published)",
}

// DigestLetter composes a daily digest from its outbox payload (the items
// as planned) and the person's current name and address.
func DigestLetter(users UserLookup, baseURL string, loc *time.Location) ComposeFunc {
	if loc == nil {
		loc = time.UTC
	}
	return func(ctx context.Context, payload json.RawMessage) (Letter, error) {
		var d notify.Digest
		if err := json.Unmarshal(payload, &d); err != nil || d.UserID == "" {
			return Letter{}, outbox.Permanent(errors.New("unreadable digest payload"))
		}
		u, err := users.GetUser(ctx, d.UserID)
		if err != nil {
			return Letter{}, outbox.Permanent(fmt.Errorf("digest for %s: %w", d.UserID, err))
		}
		if u.Disabled {
			return Letter{}, outbox.Permanent(fmt.Errorf("digest for %s: the account is disabled", d.UserID))
		}
		data := DigestData{Link: baseURL + "/", Count: len(d.Items)}
		for _, it := range d.Items {
			label := digestLabels[it.Kind]
			if label == "" {
				label = it.Kind
			}
			date := it.Date.In(loc).Format("Mon 2 Jan 2006")
			if it.Kind == notify.DueSoon {
				label = "Due on"
			}
			title := it.Title
			if it.Kind == notify.TeamOverdue {
				p, err := users.GetUser(ctx, it.Person)
				if err != nil {
					continue // gone since the digest was planned
				}
				title = p.Name + ": " + it.Title
			}
			data.Items = append(data.Items, DigestItem{Label: label, Title: title, Date: date})
			if it.Kind == notify.Overdue {
				data.Overdue = true
			} else {
				data.CanOptOut = true
			}
		}
		return Letter{ToName: u.Name, ToEmail: u.Email, Data: data}, nil
	}
}
