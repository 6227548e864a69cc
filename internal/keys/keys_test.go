package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// RFC 8037 Appendix A.1 and A.3.
const (
	rfcSeed       = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfcX          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfcThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

func TestThumbprintRFC8037(t *testing.T) {
	x, err := base64.RawURLEncoding.DecodeString(rfcX)
	if err != nil {
		t.Fatal(err)
	}
	if got := Thumbprint(ed25519.PublicKey(x)); got != rfcThumbprint {
		t.Fatalf("Thumbprint = %q, want %q", got, rfcThumbprint)
	}
}

func TestPublicJWKFromRFCSeed(t *testing.T) {
	seed, err := base64.RawURLEncoding.DecodeString(rfcSeed)
	if err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	want := JWK{Kty: "OKP", Crv: "Ed25519", X: rfcX, Kid: rfcThumbprint, Alg: "EdDSA", Use: "sig"}
	if got := PublicJWK(pub); got != want {
		t.Fatalf("PublicJWK = %+v, want %+v", got, want)
	}
	b, _ := json.Marshal(want)
	const wantJSON = `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","kid":"` + rfcThumbprint + `","alg":"EdDSA","use":"sig"}`
	if string(b) != wantJSON {
		t.Fatalf("JSON = %s", b)
	}
}

func TestLoadOrCreateCreatesThenReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "signing.pem")

	first, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700|os.ModeDir)

	again, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(again) {
		t.Fatal("second LoadOrCreate returned a different key")
	}
	assertOnlyFile(t, dir, "signing.pem")
}

func TestLoadOrCreateConcurrentStartsAgree(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signing.pem")
	const n = 16
	got := make([]ed25519.PrivateKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = LoadOrCreate(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if !got[i].Equal(got[0]) {
			t.Fatalf("start %d got a different key than start 0", i)
		}
	}
	onDisk, err := LoadOrCreate(path)
	if err != nil || !onDisk.Equal(got[0]) {
		t.Fatalf("key on disk differs from the one handed out (err %v)", err)
	}
	assertOnlyFile(t, dir, "signing.pem")
}

func TestLoadOrCreateRefusesToReplaceABadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(path); err == nil {
		t.Fatal("want an error for a file without a PEM block")
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key" {
		t.Fatal("LoadOrCreate overwrote an existing file")
	}
	pubPEM, _ := MarshalPublicPEM(newKey(t).Public().(ed25519.PublicKey))
	if err := os.WriteFile(path, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(path); err == nil {
		t.Fatal("want an error for a public key where a private key belongs")
	}
}

func TestLoadPublic(t *testing.T) {
	dir := t.TempDir()
	priv := newKey(t)
	pub := priv.Public().(ed25519.PublicKey)
	privPEM, _ := MarshalPrivatePEM(priv)
	pubPEM, _ := MarshalPublicPEM(pub)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, path := range []string{write("pub.pem", pubPEM), write("priv.pem", privPEM)} {
		got, err := LoadPublic(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !got.Equal(pub) {
			t.Fatalf("%s: wrong public key", path)
		}
	}
	cert := write("cert.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	if _, err := LoadPublic(cert); err == nil {
		t.Fatal("want an error for a CERTIFICATE block")
	}
	if _, err := LoadPublic(filepath.Join(dir, "missing.pem")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestSetSignsWithActiveAndVerifiesRetired(t *testing.T) {
	active, old1, old2 := newKey(t), newKey(t), newKey(t)
	activePub := active.Public().(ed25519.PublicKey)
	old1Pub := old1.Public().(ed25519.PublicKey)
	old2Pub := old2.Public().(ed25519.PublicKey)

	set, err := NewSet(active, old1Pub, activePub, old2Pub, old1Pub)
	if err != nil {
		t.Fatal(err)
	}
	kid, key := set.Active()
	if kid != Thumbprint(activePub) || !key.Equal(active) {
		t.Fatal("Active returned the wrong key or kid")
	}
	for _, pub := range []ed25519.PublicKey{activePub, old1Pub, old2Pub} {
		got, ok := set.Lookup(Thumbprint(pub))
		if !ok || !got.Equal(pub) {
			t.Fatalf("Lookup(%s) = %v, %v", Thumbprint(pub), got, ok)
		}
	}
	if _, ok := set.Lookup("nope"); ok {
		t.Fatal("Lookup of an unknown kid succeeded")
	}
	var kids []string
	for _, j := range set.JWKS() {
		kids = append(kids, j.Kid)
	}
	want := []string{Thumbprint(activePub), Thumbprint(old1Pub), Thumbprint(old2Pub)}
	if len(kids) != len(want) {
		t.Fatalf("JWKS kids = %v, want %v", kids, want)
	}
	for i := range want {
		if kids[i] != want[i] {
			t.Fatalf("JWKS kids = %v, want %v", kids, want)
		}
	}
}

func TestKeyForReadsTheHeaderKid(t *testing.T) {
	_, active, _ := ed25519.GenerateKey(rand.Reader)
	retired, _, _ := ed25519.GenerateKey(rand.Reader)
	set, err := NewSet(active, retired)
	if err != nil {
		t.Fatal(err)
	}
	got, err := set.KeyFor(map[string]any{"kid": Thumbprint(retired), "alg": "EdDSA"})
	if err != nil || !bytes.Equal(got, retired) {
		t.Fatalf("KeyFor(retired kid) = %x, %v", got, err)
	}
	for name, header := range map[string]map[string]any{
		"no kid":       {"alg": "EdDSA"},
		"empty kid":    {"kid": ""},
		"kid not text": {"kid": 7},
		"unknown kid":  {"kid": "nope"},
		// A header carrying its own key is not trusted for it.
		"embedded jwk": {"jwk": PublicJWK(retired)},
	} {
		if pub, err := set.KeyFor(header); err == nil || pub != nil {
			t.Errorf("%s: KeyFor = %x, %v; want an error", name, pub, err)
		}
	}
}

func TestSetCopiesRetiredKeys(t *testing.T) {
	old := append(ed25519.PublicKey(nil), newKey(t).Public().(ed25519.PublicKey)...)
	kid := Thumbprint(old)
	set, err := NewSet(newKey(t), old)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(old)
	old[0] ^= 0xff
	if got, _ := set.Lookup(kid); !bytes.Equal(got, want) {
		t.Fatal("mutating the caller's slice changed a trusted key")
	}
}

func TestNewSetRejectsBadKeys(t *testing.T) {
	if _, err := NewSet(nil); err == nil {
		t.Fatal("want an error for a nil active key")
	}
	if _, err := NewSet(newKey(t), ed25519.PublicKey{1, 2, 3}); err == nil {
		t.Fatal("want an error for a short retired key")
	}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Fatalf("%s mode = %v, want %v", path, got, want)
	}
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("%s holds %v, want only %s (temp files left behind?)", dir, names, name)
	}
}
