package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/mail"
	"github.com/upskill/upskill/internal/notify"
)

// MailSettings reads the relay from the configuration: nil settings (and
// no error) when no relay is configured.
func MailSettings(ctx context.Context, cfg config.Config) (*mail.Settings, error) {
	raw := cfg.SMTPURL
	if cfg.SMTPURLFile != "" {
		if raw != "" {
			return nil, fmt.Errorf("UPSKILL_SMTP_URL and UPSKILL_SMTP_URL_FILE are both set; keep one")
		}
		b, err := os.ReadFile(cfg.SMTPURLFile)
		if err != nil {
			return nil, fmt.Errorf("UPSKILL_SMTP_URL_FILE: %w", err)
		}
		raw = strings.TrimSpace(string(b))
	}
	if raw == "" {
		return nil, nil
	}
	if cfg.MailFrom == "" {
		return nil, fmt.Errorf("UPSKILL_MAIL_FROM is required with a mail relay, e.g. \"Training <training@example.com>\"")
	}
	s, err := mail.ParseSettings(ctx, net.DefaultResolver, raw, cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("UPSKILL_SMTP_URL: %w", err)
	}
	return &s, nil
}

// wireMail connects identity's invitations and resets to the outbox and,
// when a relay is configured, registers the mail deliverer.
func (a *App) wireMail(ctx context.Context) error {
	settings, err := MailSettings(ctx, a.Config)
	if err != nil {
		return err
	}
	hooks := identity.MailHooks{Enabled: settings != nil, BaseURL: a.Config.BaseURL,
		GiveUp: a.Config.OutboxGiveUp, Wake: a.Outbox.Wake}
	a.Identity.Mail = hooks
	if settings == nil {
		a.Log.Info("no mail relay configured (UPSKILL_SMTP_URL): invitations return their link to HR, password resets are not sent")
		return nil
	}
	d, err := NewMailDeliverer(a.Config, *settings, a.Identity, hooks)
	if err != nil {
		return err
	}
	a.Outbox.Register(identity.OutboxTarget, d)
	a.Log.Info("mail relay configured", "relay", settings.String(), "from", settings.From.String())
	return nil
}

// NewMailDeliverer builds the deliverer for the "mail" outbox target.
func NewMailDeliverer(cfg config.Config, s mail.Settings, ids *identity.Service, hooks identity.MailHooks) (*mail.Deliverer, error) {
	tpl, err := mail.LoadTemplates()
	if err != nil {
		return nil, err
	}
	return &mail.Deliverer{
		Sender: mail.NewSender(s, 30*time.Second), Templates: tpl, Org: cfg.OrgName, BaseURL: cfg.BaseURL,
		Compose: map[string]mail.ComposeFunc{
			identity.PurposeInvitation: mail.TokenLetter(ids, hooks.Link, identity.PurposeInvitation),
			identity.PurposeReset:      mail.TokenLetter(ids, hooks.Link, identity.PurposeReset),
			notify.DigestKind:          mail.DigestLetter(ids, cfg.BaseURL, cfg.Location),
		},
	}, nil
}
