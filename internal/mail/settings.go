// Package mail sends upskill's messages over SMTP: the relay settings, the
// templates embedded in the binary (a plain-text and an HTML part for every
// message, no tracking), and a Deliverer that plugs into the outbox.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// TLS says how the connection to the relay is protected.
type TLS string

const (
	// StartTLS upgrades a plain connection and refuses relays that cannot
	// (smtp://, port 587 by default).
	StartTLS TLS = "starttls"
	// Implicit speaks TLS from the first byte (smtps://, port 465).
	Implicit TLS = "implicit"
	// None sends in the clear: only to a relay on this host or the private
	// network (?tls=none).
	None TLS = "none"
)

// Settings are a relay's address and credentials, from UPSKILL_SMTP_URL.
type Settings struct {
	Host     string
	Port     int
	Username string
	Password string // secret: never logged
	TLS      TLS
	From     *mail.Address
}

// String describes the relay without its password, for logs.
func (s Settings) String() string {
	user := ""
	if s.Username != "" {
		user = s.Username + "@"
	}
	return fmt.Sprintf("%s%s (tls %s)", user, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.TLS)
}

// Resolver looks a host name up; net.DefaultResolver in production.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// ParseSettings reads rawURL (smtp://user:pass@host:587,
// smtps://user:pass@host:465, or either with ?tls=none for a local relay)
// and from (the sender, "Training <training@example.com>"). Errors never
// repeat the URL, which may hold a password.
func ParseSettings(ctx context.Context, r Resolver, rawURL, from string) (Settings, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Settings{}, errors.New("not a URL; want smtp://user:password@host:587 or smtps://…:465")
	}
	var s Settings
	switch u.Scheme {
	case "smtp":
		s.TLS, s.Port = StartTLS, 587
	case "smtps":
		s.TLS, s.Port = Implicit, 465
	default:
		return Settings{}, fmt.Errorf("scheme %q: want smtp:// (STARTTLS) or smtps:// (implicit TLS)", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Settings{}, errors.New("no host; want smtp://user:password@host:587")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, fmt.Errorf("port %q: want 1 to 65535", p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return Settings{}, fmt.Errorf("unknown option %q; the only option is tls=none", k)
		}
	}
	switch q.Get("tls") {
	case "":
	case "none":
		if err := privateHost(ctx, r, s.Host); err != nil {
			return Settings{}, err
		}
		s.TLS = None
	default:
		return Settings{}, fmt.Errorf("tls=%q: the only option is tls=none, for a relay on this host or network", q.Get("tls"))
	}
	if s.From, err = mail.ParseAddress(from); err != nil || strings.ContainsAny(from, "\r\n") {
		return Settings{}, fmt.Errorf("UPSKILL_MAIL_FROM %q is not an address like \"Training <training@example.com>\"", from)
	}
	return s, nil
}

// privateHost refuses to send in the clear beyond the company network:
// every address host resolves to must be loopback or private.
func privateHost(ctx context.Context, r Resolver, host string) error {
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := r.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return fmt.Errorf("tls=none: cannot resolve %q to check that it is a local relay", host)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if !ip.IsLoopback() && !ip.IsPrivate() {
			return fmt.Errorf("tls=none is only for a relay on this host or a private network; %s is %s", host, ip)
		}
	}
	return nil
}
