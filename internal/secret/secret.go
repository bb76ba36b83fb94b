// Package secret keeps secrets that the server must read back — a widget
// channel's identity key, say — encrypted at rest: AES-256-GCM under a
// server key that never enters the database, so a copy of the database
// (a backup, a dump) does not carry them.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the server key's length: AES-256.
const KeySize = 32

// prefix marks a sealed value and its format's version.
const prefix = "v1:"

// Box seals and opens values with one server key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: the server key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: bytes.Clone(key)}, nil
}

// Derive returns a 32-byte key of its own for one purpose (signing the
// links to files, say), from the server key: HMAC-SHA256(server key,
// purpose). A derived key says nothing of the server key or of another
// purpose's key.
func (b *Box) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("openlines/" + purpose))
	return m.Sum(nil)
}

// Seal encrypts plain, bound to what it belongs to (context: a table and
// row, so that a sealed value copied to another row does not open there).
func (b *Box) Seal(plain []byte, context string) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, plain, []byte(context))
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// ErrWrongKey means a sealed value does not open with this server's key
// (or was moved to another row).
var ErrWrongKey = errors.New("secret: the value does not open with this server key (was the key file replaced?)")

// Open decrypts a value Seal made for the same context.
func (b *Box) Open(sealed, context string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, errors.New("secret: not a sealed value")
	}
	in, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(in) < b.aead.NonceSize() {
		return nil, errors.New("secret: a damaged sealed value")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, in[:n], in[n:], []byte(context))
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

// LoadOrCreate reads the server key from path (base64, 32 bytes), or makes
// one there (mode 0600, its directory created) when the file does not
// exist: the first run of a server creates its key.
func LoadOrCreate(path string) (*Box, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, false, fmt.Errorf("secret: %s is not a base64 key: %w", path, err)
		}
		box, err := New(key)
		return box, false, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it first
			return LoadOrCreate(path)
		}
		return nil, false, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	box, err := New(key)
	return box, true, err
}

// Ephemeral returns a Box with a random key that lives as long as the
// process: for tests and tools that keep nothing.
func Ephemeral() *Box {
	key := make([]byte, KeySize)
	rand.Read(key)
	b, _ := New(key)
	return b
}
