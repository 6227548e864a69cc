// Package outbound is how upskill calls other systems (webhook endpoints,
// a Learning Record Store) without becoming a way into the company
// network. A Policy refuses, unless an operator listed the host or its
// network in UPSKILL_OUTBOUND_ALLOW:
//
//   - any scheme but https (http only for a listed host or network);
//   - loopback, private, link-local, shared (CGNAT), unspecified,
//     multicast and other special-purpose addresses.
//
// The address is checked when the connection is made, in the dialer's
// Control function, after name resolution: a name that resolves to a
// private address, or starts to (DNS rebinding), is refused at that moment.
// Redirects are never followed, so a public endpoint cannot bounce a
// request inward, and no proxy from the environment is used.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every refusal of the policy.
var ErrRefused = errors.New("outbound call refused")

// Policy decides which destinations may be called.
type Policy struct {
	hosts    map[string]bool // lower-case host names, exactly
	prefixes []netip.Prefix  // addresses and networks
}

// Parse reads UPSKILL_OUTBOUND_ALLOW: comma-separated host names, IP
// addresses and CIDR networks ("hooks.internal, 10.1.0.0/16, 127.0.0.1").
func Parse(list string) (*Policy, error) {
	p := &Policy{hosts: map[string]bool{}}
	for _, raw := range strings.Split(list, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(item); err == nil {
			p.prefixes = append(p.prefixes, pre.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
			p.prefixes = append(p.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if strings.ContainsAny(item, "/:@ ") {
			return nil, fmt.Errorf("outbound allow-list: %q is neither a host name, an address nor a CIDR network", item)
		}
		p.hosts[strings.ToLower(strings.TrimSuffix(item, "."))] = true
	}
	return p, nil
}

// MustParse is Parse for tests and constants.
func MustParse(list string) *Policy {
	p, err := Parse(list)
	if err != nil {
		panic(err)
	}
	return p
}

func (p *Policy) hostAllowed(host string) bool {
	if p == nil {
		return false
	}
	return p.hosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

func (p *Policy) addrAllowed(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// listed reports whether host (a name or a literal address) is on the list.
func (p *Policy) listed(host string) bool {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return p.addrAllowed(a)
	}
	return p.hostAllowed(host)
}

// CheckURL refuses a URL the policy would never call: not absolute, with
// user info, a scheme other than https (http needs a listed host), or a
// literal address or local name that is not public. Names are resolved
// only when the call is made.
func (p *Policy) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return nil, fmt.Errorf("%w: %q is not an absolute URL", ErrRefused, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the URL must not carry a user name or password", ErrRefused)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%w: the URL must not have a fragment", ErrRefused)
	}
	host := u.Hostname()
	switch u.Scheme {
	case "https":
	case "http":
		if !p.listed(host) {
			return nil, fmt.Errorf("%w: http is allowed only for hosts listed in UPSKILL_OUTBOUND_ALLOW; use https", ErrRefused)
		}
	default:
		return nil, fmt.Errorf("%w: scheme %q; use https", ErrRefused, u.Scheme)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := p.checkAddr(a); err != nil {
			return nil, err
		}
	} else {
		lower := strings.ToLower(strings.TrimSuffix(host, "."))
		if (lower == "localhost" || strings.HasSuffix(lower, ".localhost")) && !p.hostAllowed(host) {
			return nil, fmt.Errorf("%w: %s is a loopback name", ErrRefused, host)
		}
	}
	return u, nil
}

// special are the networks no outbound call reaches unless listed.
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
		"2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Public reports whether a is an ordinary public unicast address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, pre := range special {
		if pre.Contains(a) {
			return false
		}
	}
	return true
}

func (p *Policy) checkAddr(a netip.Addr) error {
	if Public(a) || p.addrAllowed(a) {
		return nil
	}
	return fmt.Errorf("%w: %s is not a public address (list it in UPSKILL_OUTBOUND_ALLOW to allow it)", ErrRefused, a.Unmap())
}

// Client returns an HTTP client that enforces the policy on every
// connection, follows no redirect, uses no proxy and gives up after
// timeout.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	base := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			d := *base
			if !p.hostAllowed(host) {
				// The resolved address, checked as the socket connects: what
				// the name resolved to a moment earlier does not matter.
				d.Control = func(_, address string, _ syscall.RawConn) error {
					ap, err := netip.ParseAddrPort(address)
					if err != nil {
						return fmt.Errorf("%w: cannot read address %q", ErrRefused, address)
					}
					return p.checkAddr(ap.Addr())
				}
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// IsRefused reports whether err (from CheckURL or a call through Client)
// is the policy's refusal.
func IsRefused(err error) bool { return errors.Is(err, ErrRefused) }
