package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/upskill/upskill/internal/outbox"
)

// Sender talks to one SMTP relay.
type Sender struct {
	settings Settings
	timeout  time.Duration
	// tlsConfig may be set by tests to trust their own relay's certificate.
	tlsConfig *tls.Config
}

// NewSender returns a sender for s; each send dials, sends and hangs up,
// bounded by timeout.
func NewSender(s Settings, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Sender{settings: s, timeout: timeout}
}

// WithTLSConfig returns a copy of the sender that verifies the relay with
// cfg (a test relay's own certificate authority).
func (s *Sender) WithTLSConfig(cfg *tls.Config) *Sender {
	cp := *s
	cp.tlsConfig = cfg
	return &cp
}

// Settings returns the relay's settings.
func (s *Sender) Settings() Settings { return s.settings }

// Send delivers one message to one person. A refusal the relay calls
// permanent (5xx: no such mailbox, say) is marked outbox.Permanent; a
// connection failure or a 4xx is worth another try.
func (s *Sender) Send(ctx context.Context, toName, toEmail string, r Rendered) error {
	m := gomail.NewMsg()
	if err := m.FromFormat(s.settings.From.Name, s.settings.From.Address); err != nil {
		return outbox.Permanent(fmt.Errorf("sender address: %w", err))
	}
	if err := m.AddToFormat(toName, toEmail); err != nil {
		return outbox.Permanent(fmt.Errorf("recipient address: %w", err))
	}
	m.Subject(r.Subject)
	m.SetDate()
	m.SetMessageID()
	// Automated mail: ask auto-responders to stay quiet (RFC 3834).
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, r.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)

	c, err := s.client()
	if err != nil {
		return outbox.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return outbox.Permanent(err)
		}
		return err
	}
	return nil
}

func (s *Sender) client() (*gomail.Client, error) {
	st := s.settings
	opts := []gomail.Option{gomail.WithPort(st.Port), gomail.WithTimeout(s.timeout)}
	tlsCfg := s.tlsConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: st.Host, MinVersion: tls.VersionTLS12}
	}
	switch st.TLS {
	case Implicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tlsCfg))
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsCfg))
	case None:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if st.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(st.Username), gomail.WithPassword(st.Password))
	}
	c, err := gomail.NewClient(st.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail client: %w", err)
	}
	return c, nil
}
