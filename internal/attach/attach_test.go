package attach

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var ctx = context.Background()

// A PNG's first bytes (the signature and an IHDR chunk's start).
var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func newDir(t *testing.T) *Dir {
	d, err := NewDir(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func read(t *testing.T, d *Dir, key string) []byte {
	t.Helper()
	f, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b
}

func TestReceive(t *testing.T) {
	d := newDir(t)
	img := append(bytes.Clone(pngHead), bytes.Repeat([]byte{7}, 2000)...)
	info, err := Receive(ctx, d, "0001-aaaa", bytes.NewReader(img), int64(len(img)))
	if err != nil || info.Size != int64(len(img)) || info.ContentType != "image/png" || len(info.SHA256) != 64 {
		t.Fatalf("a picture of exactly the limit: %+v %v", info, err)
	}
	if !bytes.Equal(read(t, d, "0001-aaaa"), img) {
		t.Fatal("the bytes read back differ")
	}
	// The client's claims do not matter: HTML is HTML whatever it is called.
	info, err = Receive(ctx, d, "0002-bbbb", strings.NewReader("<html><script>alert(1)</script>"), 100)
	if err != nil || !strings.HasPrefix(info.ContentType, "text/html") {
		t.Fatalf("html: %+v %v", info, err)
	}
	// One byte over the limit, short or long: nothing is kept.
	for _, n := range []int{101, 5000, 600} {
		_, err = Receive(ctx, d, "0003-cccc", bytes.NewReader(bytes.Repeat([]byte("x"), n)), 100)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%d bytes over a limit of 100: %v", n, err)
		}
		if _, err := d.Open(ctx, "0003-cccc"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a refused file was kept: %v", err)
		}
	}
	if _, err := Receive(ctx, d, "0004-dddd", strings.NewReader(""), 100); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	// A client that goes away mid-file: cut short, nothing kept.
	for _, head := range []int{10, 5000} {
		r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("y"), head)), iotest.ErrReader(io.ErrUnexpectedEOF))
		if _, err := Receive(ctx, d, "0005-eeee", r, 1<<20); !errors.Is(err, ErrCutShort) {
			t.Fatalf("cut short after %d bytes: %v", head, err)
		}
		if _, err := d.Open(ctx, "0005-eeee"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a cut-short file was kept: %v", err)
		}
	}
	// No temporary file is left behind.
	if left, _ := os.ReadDir(filepath.Join(d.Root(), "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestDir(t *testing.T) {
	d := newDir(t)
	if err := d.Put(ctx, "0101-abcd", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if got := string(read(t, d, "0101-abcd")); got != "hello" {
		t.Fatalf("read %q", got)
	}
	for _, bad := range []string{"../../etc/passwd", "a/b/c/d", "", "x", "0101-abcd/..", strings.Repeat("a", 65)} {
		if err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Fatalf("key %q accepted", bad)
		}
		if _, err := d.Open(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Fatalf("open %q: %v", bad, err)
		}
	}
	if err := d.Delete(ctx, "0101-abcd"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, "0101-abcd"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := d.Delete(ctx, "0101-abcd"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestLinks(t *testing.T) {
	l := NewLinks(bytes.Repeat([]byte{1}, 32))
	now := time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	q := l.Query("file-1", now)
	if q2 := l.Query("file-1", now.Add(10*time.Minute)); q2 != q {
		t.Fatalf("two renders within the hour differ: %s %s", q, q2)
	}
	parse := func(q string) (exp, sig string) {
		for _, kv := range strings.Split(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "exp" {
				exp = v
			} else {
				sig = v
			}
		}
		return
	}
	exp, sig := parse(q)
	if !l.Valid("file-1", exp, sig, now.Add(LinkTTL)) {
		t.Fatal("a link is refused within its time")
	}
	if l.Valid("file-1", exp, sig, now.Add(LinkTTL+2*time.Hour)) {
		t.Fatal("an expired link is accepted")
	}
	if l.Valid("file-2", exp, sig, now) {
		t.Fatal("a link opens another file")
	}
	if l.Valid("file-1", "99999999999", sig, now) {
		t.Fatal("a link moved in time is accepted")
	}
	if l.Valid("file-1", exp, sig[:len(sig)-1]+"A", now) || l.Valid("file-1", exp, "", now) || l.Valid("file-1", "x", sig, now) {
		t.Fatal("a forged signature is accepted")
	}
	if NewLinks(bytes.Repeat([]byte{2}, 32)).Valid("file-1", exp, sig, now) {
		t.Fatal("another key's link is accepted")
	}
}
