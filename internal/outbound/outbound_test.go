package outbound

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for s, want := range map[string]bool{
		"8.8.8.8": true, "2a00:1450:4001::1": true, "93.184.216.34": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.31.255.255": false, "192.168.0.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "224.0.0.1": false,
		"255.255.255.255": false, "::1": false, "fe80::1": false, "fd12::1": false, "::": false,
		"::ffff:127.0.0.1": false, "::ffff:8.8.8.8": true, "64:ff9b::a00:1": false, "2001:db8::1": false,
	} {
		if got := Public(netip.MustParseAddr(s)); got != want {
			t.Errorf("Public(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(" hooks.internal , 10.1.0.0/16, 127.0.0.1 ,[::1]")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://hooks.internal/x", "https://10.1.2.3/x", "http://127.0.0.1:8080/x", "http://[::1]:99/x", "https://HOOKS.internal./x"} {
		if _, err := p.CheckURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://example.com/", "https://10.2.0.1/", "https://127.0.0.2/", "https://localhost/"} {
		if _, err := p.CheckURL(u); !IsRefused(err) {
			t.Errorf("%s allowed", u)
		}
	}
	if _, err := Parse("http://x/y"); err == nil {
		t.Error("a URL in the allow-list was accepted")
	}
}

// The address is checked when the socket connects, after resolution: a
// name that resolves to loopback is refused however the URL looked, and
// the check cannot be skipped by calling the client directly.
func TestClientChecksTheResolvedAddress(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hit = true }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	closed := MustParse("")
	for _, u := range []string{
		srv.URL,                          // a literal loopback address
		"http://localhost:" + port + "/", // a name resolving to loopback
	} {
		res, err := closed.Client(5 * time.Second).Get(u)
		if err == nil {
			res.Body.Close()
			t.Fatalf("%s: reached", u)
		}
		if !IsRefused(err) {
			t.Fatalf("%s: %v, want a refusal", u, err)
		}
	}
	if hit {
		t.Fatal("the server was reached")
	}
	// Listed by address: allowed; listed by name: allowed for that name.
	for _, tc := range []struct{ allow, url string }{{"127.0.0.1", srv.URL}, {"localhost", "http://localhost:" + port + "/"}} {
		res, err := MustParse(tc.allow).Client(5 * time.Second).Get(tc.url)
		if err != nil {
			t.Fatalf("allow %s: %v", tc.allow, err)
		}
		res.Body.Close()
	}
}

// A redirect is answered, never followed.
func TestClientFollowsNoRedirect(t *testing.T) {
	target := false
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { target = true }))
	defer inner.Close()
	outer := httptest.NewServer(http.RedirectHandler(inner.URL, http.StatusTemporaryRedirect))
	defer outer.Close()
	res, err := MustParse("127.0.0.1").Client(5 * time.Second).Get(outer.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect || target {
		t.Fatalf("status %d, followed %v", res.StatusCode, target)
	}
}
