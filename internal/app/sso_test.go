package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Single sign-on settings are checked at start: a half-configured
// provider, two sources of the secret, or passwords off with no other
// way in refuse to start; the secret file is read and trimmed.
func TestOIDCOptions(t *testing.T) {
	cfg := testConfig(t)
	if o, err := OIDCOptions(cfg); err != nil || o.Issuer != "" {
		t.Fatalf("default = %+v, %v", o, err)
	}
	off := cfg
	off.PasswordLogin = false
	if _, err := OIDCOptions(off); err == nil || !strings.Contains(err.Error(), "UPSKILL_OIDC_ISSUER") {
		t.Fatalf("passwords off without single sign-on: %v", err)
	}
	half := cfg
	half.OIDCIssuer = "https://login.example.com"
	if _, err := OIDCOptions(half); err == nil || !strings.Contains(err.Error(), "UPSKILL_OIDC_CLIENT_ID") {
		t.Fatalf("issuer without a client: %v", err)
	}
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	full := half
	full.OIDCClientID, full.OIDCClientSecretFile, full.OIDCName = "upskill", file, "Company"
	o, err := OIDCOptions(full)
	if err != nil || o.ClientSecret != "s3cret" || o.ClientID != "upskill" || o.Name != "Company" {
		t.Fatalf("from a file = %+v, %v", o, err)
	}
	full.OIDCClientSecret = "also"
	if _, err := OIDCOptions(full); err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("two secrets: %v", err)
	}
}
