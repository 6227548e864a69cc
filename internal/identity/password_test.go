package identity

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// cheap keeps the tests fast; VerifyPassword reads the settings from the
// hash, so these hashes exercise the same code path as production ones.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordDefaultRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("unexpected PHC prefix: %s", h)
	}
	if ok, err := VerifyPassword(h, "correct horse battery"); err != nil || !ok {
		t.Fatalf("VerifyPassword(right) = %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(h, "correct horse batterY"); err != nil || ok {
		t.Fatalf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
	if DefaultParams().NeedsRehash(h) {
		t.Fatal("a fresh default hash should not need rehashing")
	}
}

func TestHashIsSaltedAndStdBase64(t *testing.T) {
	a, _ := cheap.Hash(rand.Reader, "same password")
	b, _ := cheap.Hash(rand.Reader, "same password")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	parts := strings.Split(a, "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 || strings.ContainsAny(parts[4]+parts[5], "=-_") {
		t.Fatalf("want unpadded std base64 16-byte salt and 32-byte hash, got %s", a)
	}
}

func TestVerifyReadsParamsFromHash(t *testing.T) {
	other := Params{Memory: 128, Time: 2, Threads: 3, SaltLen: 12, KeyLen: 24}
	h, err := other.Hash(rand.Reader, "s3cret passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=2,p=3$") {
		t.Fatalf("params not encoded: %s", h)
	}
	if ok, err := VerifyPassword(h, "s3cret passphrase"); err != nil || !ok {
		t.Fatalf("VerifyPassword = %v, %v", ok, err)
	}
	if !DefaultParams().NeedsRehash(h) || other.NeedsRehash(h) {
		t.Fatal("NeedsRehash should compare the hash's settings with the wanted ones")
	}
}

func TestVerifyKnownVector(t *testing.T) {
	// Made by the reference argon2 CLI:
	// echo -n password | argon2 somesalt -id -t 2 -m 6 -p 1 -l 32 -e
	// The salt is 8 bytes, the shortest VerifyPassword accepts.
	const h = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"
	if ok, err := VerifyPassword(h, "password"); err != nil || !ok {
		t.Fatalf("reference vector: %v, %v", ok, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	good, _ := cheap.Hash(rand.Reader, "whatever it is")
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":        with(1, "argon2i"),
		"old version":    with(2, "v=16"),
		"junk params":    with(3, "m=64,t=1"),
		"trailing param": with(3, "m=64,t=1,p=1,x=2"),
		"spaced params":  with(3, "m= 64,t=1,p=1"),
		"zero time":      with(3, "m=64,t=0,p=1"),
		"huge memory":    with(3, "m=4194304,t=1,p=1"),
		"padded salt":    with(4, parts[4]+"=="),
		"short salt":     with(4, "c2FsdA"),
		"short key":      with(5, "c2hvcnQ"),
		"extra field":    good + "$x",
	} {
		ok, err := VerifyPassword(h, "whatever it is")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword = %v, %v; want ErrMalformedHash", name, ok, err)
		}
	}
}

func TestDummyHashMatchesDefaultParams(t *testing.T) {
	// If DefaultParams change, regenerate dummyHash, or unknown emails
	// answer faster than known ones.
	if DefaultParams().NeedsRehash(dummyHash) {
		t.Fatal("dummyHash was not made with DefaultParams")
	}
	if ok, err := VerifyPassword(dummyHash, "anything at all"); err != nil || ok {
		t.Fatalf("VerifyPassword(dummyHash) = %v, %v", ok, err)
	}
	DummyVerify("anything at all")
}

func TestCheckPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw, wantMsg string
	}{
		{"correct horse battery", ""},
		{"Ελένη-μάθημα-2026", ""}, // 17 runes, more bytes
		{"Дмитрий1988!", ""},      // exactly 12 runes
		{"short pass1", "at least 12 characters"},
		{"ab€€€€€€€€€", "at least 12 characters"}, // 11 runes, 29 bytes
		{strings.Repeat("x", 256) + "y", "at most 256 bytes"},
		{strings.Repeat("é", 129), "at most 256 bytes"},
		{"aaaaaaaaaaaaaaaa", "repeated"},
		{"éééééééééééé", "repeated"},
		{"password1234", "too common"},
		{"PassWord1234", "too common"},
		{"QWERTYUIOPAS", "too common"},
		{"123456789012", "too common"},
		{"valid\xffutf8-no", "UTF-8"},
	} {
		err := CheckPasswordPolicy(tc.pw)
		if tc.wantMsg == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", tc.pw, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrWeakPassword) || !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("%q: error %v, want ErrWeakPassword mentioning %q", tc.pw, err, tc.wantMsg)
		}
	}
}

func TestCommonPasswordListIsUsable(t *testing.T) {
	if n := len(commonPasswords); n < 90 {
		t.Fatalf("only %d common passwords loaded", n)
	}
	for pw := range commonPasswords {
		if len([]rune(pw)) < MinPasswordRunes {
			t.Errorf("%q is shorter than the minimum, so listing it is useless", pw)
		}
	}
}

func TestRefreshToken(t *testing.T) {
	plain, hash := NewRefreshToken()
	if len(plain) != 43 || strings.ContainsAny(plain, "+/=") {
		t.Fatalf("plain token %q: want 43 base64url characters", plain)
	}
	if hash != HashRefreshToken(plain) || len(hash) != 64 {
		t.Fatalf("hash %q does not match HashRefreshToken", hash)
	}
	if other, _ := NewRefreshToken(); other == plain {
		t.Fatal("two refresh tokens are equal")
	}
	// Known answer: SHA-256("abc").
	if got := HashRefreshToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashRefreshToken(abc) = %s", got)
	}
}
