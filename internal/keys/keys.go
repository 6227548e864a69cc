// Package keys owns the Ed25519 signing keys: it loads or creates the key
// file shared by every replica, derives the RFC 7638 key ids, and publishes
// the public half as a JWK Set so anyone can verify what we sign offline.
package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreate reads the PKCS#8 Ed25519 private key at path. When the file
// does not exist it generates a key and writes it with mode 0600, creating
// the parent directory with 0700 if needed.
//
// Creation is safe when several processes start at once on the same data
// directory: each writes a complete temporary file and hard-links it into
// place, and os.Link never replaces an existing file, so exactly one key wins
// and the losers read it. Nobody ever sees a half-written key.
func LoadOrCreate(path string) (ed25519.PrivateKey, error) {
	key, err := loadPrivate(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: generate: %w", err)
	}
	pemBytes, err := MarshalPrivatePEM(key)
	if err != nil {
		return nil, err
	}
	won, err := createExclusive(path, pemBytes)
	if err != nil {
		return nil, err
	}
	if won {
		return key, nil
	}
	return loadPrivate(path)
}

// createExclusive writes data to path unless path already exists. It
// reports whether this call created the file.
func createExclusive(path string, data []byte) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("keys: create key directory: %w", err)
	}
	// CreateTemp opens with 0600, so the key is never readable by others,
	// not even for a moment.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("keys: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return false, fmt.Errorf("keys: write key file: %w", werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("keys: install key file: %w", err)
	}
	syncDir(dir)
	return true, nil
}

// syncDir makes the new directory entry durable, so a crash right after
// start cannot lose the key that tokens were already signed with. Failure
// is ignored: some platforms cannot fsync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// LoadPublic reads a verification key: a PEM "PUBLIC KEY" (PKIX) or a
// private key file, from which the public half is derived. Operators hand
// it the previous key when rotating, so records and tokens signed before
// the rotation still verify.
func LoadPublic(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("keys: %s: %w", path, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("keys: %s: not an Ed25519 public key (%T)", path, k)
		}
		return pub, nil
	case "PRIVATE KEY":
		priv, err := parsePrivate(path, block)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	default:
		return nil, fmt.Errorf("keys: %s: unexpected PEM block %q", path, block.Type)
	}
}

// MarshalPrivatePEM encodes key as a PEM "PRIVATE KEY" (PKCS#8) block, the
// format LoadOrCreate reads.
func MarshalPrivatePEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keys: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicPEM encodes pub as a PEM "PUBLIC KEY" (PKIX) block, the
// format LoadPublic reads; use it to hand a retired key to other replicas
// without sharing its private half.
func MarshalPublicPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func loadPrivate(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("keys: %s: want a PEM \"PRIVATE KEY\" block, got %q", path, block.Type)
	}
	return parsePrivate(path, block)
}

func parsePrivate(path string, block *pem.Block) (ed25519.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("keys: %s: not an Ed25519 private key (%T)", path, k)
	}
	return priv, nil
}

// readPEM returns the first PEM block of the file. A missing file keeps
// fs.ErrNotExist in its chain so LoadOrCreate can tell it apart.
func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("keys: %s: no PEM block found", path)
	}
	return block, nil
}
