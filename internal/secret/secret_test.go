package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b := Ephemeral()
	s := b.Seal([]byte("hunter2"), "channels:1")
	if strings.Contains(s, "hunter2") || !strings.HasPrefix(s, "v1:") {
		t.Fatalf("sealed %q", s)
	}
	if s2 := b.Seal([]byte("hunter2"), "channels:1"); s2 == s {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	got, err := b.Open(s, "channels:1")
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(s, "channels:2"); err != ErrWrongKey {
		t.Fatalf("opened in another row's context: %v", err)
	}
	if _, err := Ephemeral().Open(s, "channels:1"); err != ErrWrongKey {
		t.Fatalf("opened with another key: %v", err)
	}
	for _, bad := range []string{"", "v1:", "v1:!!!", "plain", s[:len(s)-4]} {
		if _, err := b.Open(bad, "channels:1"); err == nil {
			t.Fatalf("opened %q", bad)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	a, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first run: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	b, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second run: %v %v", created, err)
	}
	got, err := b.Open(a.Seal([]byte("x"), "c"), "c")
	if err != nil || string(got) != "x" {
		t.Fatalf("the reloaded key differs: %v", err)
	}
	os.WriteFile(path, []byte("not base64!"), 0o600)
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("a damaged key file was accepted")
	}
}

func TestDerive(t *testing.T) {
	key := make([]byte, KeySize)
	a, _ := New(key)
	key[0] = 1
	b, _ := New(key)
	if x, y := a.Derive("files"), a.Derive("files"); len(x) != 32 || string(x) != string(y) {
		t.Fatalf("not stable: %x %x", x, y)
	}
	if string(a.Derive("files")) == string(a.Derive("other")) {
		t.Fatal("two purposes, one key")
	}
	if string(a.Derive("files")) == string(b.Derive("files")) {
		t.Fatal("two server keys, one derived key")
	}
}
