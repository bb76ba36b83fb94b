package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
)

// Password hashes are bounded: with every slot taken, a sign-in waits at
// most hashWait and is answered 503 with Retry-After, without hashing.
func TestHashSlotsBounded(t *testing.T) {
	st := storetest.Open(t, store.SQLite, store.Options{})
	s := New(Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for range cap(s.hashSlots) {
		s.hashSlots <- struct{}{}
	}
	start := time.Now()
	res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader([]byte(`{"email":"a@b.test","password":"whatever1"}`)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in with every hash slot busy: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d < hashWait || d > hashWait+2*time.Second {
		t.Fatalf("waited %v for a slot, want about %v", d, hashWait)
	}
	if cap(s.hashSlots) > 16 {
		t.Fatalf("%d concurrent hashes of 19 MiB allowed", cap(s.hashSlots))
	}
}

func TestClientIP(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}}}
	for _, tc := range []struct{ peer, xff, want string }{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.1", "192.0.2.1"}, // untrusted peer: header ignored
		{"127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"127.0.0.1:5000", "198.51.100.1, 10.1.2.3", "198.51.100.1"}, // through two proxies
		{"127.0.0.1:5000", "6.6.6.6, 198.51.100.1", "198.51.100.1"},  // a forged left entry is not believed
		{"127.0.0.1:5000", "garbage, 198.51.100.1", "198.51.100.1"},
		{"127.0.0.1:5000", "198.51.100.1, garbage", "127.0.0.1"},
		{"127.0.0.1:5000", "", "127.0.0.1"},
		{"[::ffff:127.0.0.1]:5000", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, ::1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Fatal("a bad prefix was accepted")
	}
}
