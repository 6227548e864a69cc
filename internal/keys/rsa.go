package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
)

// RSABits is the size of the RSA keys LoadOrCreateRSA generates.
const RSABits = 3072

// LoadOrCreateRSA reads the PKCS#8 RSA private key at path, creating one
// (RSABits, mode 0600) when the file does not exist, with the same
// exactly-one-wins creation as LoadOrCreate. Open Badges 3.0 credentials
// are signed with it: that specification's JWT proof names RS256.
func LoadOrCreateRSA(path string) (*rsa.PrivateKey, error) {
	key, err := loadRSA(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = rsa.GenerateKey(rand.Reader, RSABits)
	if err != nil {
		return nil, fmt.Errorf("keys: generate RSA key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keys: encode RSA key: %w", err)
	}
	won, err := createExclusive(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		return nil, err
	}
	if won {
		return key, nil
	}
	return loadRSA(path)
}

func loadRSA(path string) (*rsa.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("keys: %s: want a PEM \"PRIVATE KEY\" block, got %q", path, block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("keys: %s: not an RSA private key (%T)", path, k)
	}
	return priv, nil
}

// RSAJWK is the public half of an RSA signing key (RFC 7518 §6.3).
type RSAJWK struct {
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// RSAThumbprint is the RFC 7638 thumbprint of pub.
func RSAThumbprint(pub *rsa.PublicKey) string {
	n := base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// PublicRSAJWK describes pub as an RS256 signing JWK named kid.
func PublicRSAJWK(pub *rsa.PublicKey, kid string) RSAJWK {
	return RSAJWK{Kty: "RSA", N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), Kid: kid, Alg: "RS256", Use: "sig"}
}
