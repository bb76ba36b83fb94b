package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
)

// requestLog finds the request log line of the request with id.
func requestLog(t *testing.T, logs *syncBuffer, id string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" && rec["request_id"] == id {
			return rec
		}
	}
	t.Fatalf("no request log line for %s:\n%s", id, logs.String())
	return nil
}

// Behind a proxy: X-Forwarded-For and X-Forwarded-Proto are believed only
// from a trusted peer. From one, the log names the forwarded client and
// https makes the cookie Secure and sends HSTS; from any other peer the
// same headers change nothing. Request logs carry the user's id.
func TestForwardedHeadersTrust(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		wantIP  string
		https   bool
	}{
		{"untrusted peer", nil, "127.0.0.1", false},
		{"trusted elsewhere", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "127.0.0.1", false},
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.9", true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			var logs syncBuffer
			h := newHarnessWith(t, "sqlite", func(c *httpapi.Config) {
				c.TrustedProxies = tc.trusted
				c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			})
			fwd := []string{"X-Forwarded-For", "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto", "https"}
			r := h.anon().do("POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": testPassword},
				append(fwd, "X-Request-Id", "login-1")...).want(http.StatusOK)
			var secure bool
			for _, c := range r.cookies {
				if c.Name == httpapi.SessionCookie {
					secure = c.Secure
				}
			}
			if secure != tc.https {
				t.Errorf("session cookie Secure = %v, want %v", secure, tc.https)
			}
			if got := r.header.Get("Strict-Transport-Security") != ""; got != tc.https {
				t.Errorf("HSTS sent = %v, want %v", got, tc.https)
			}
			if rec := requestLog(t, &logs, "login-1"); rec["client_ip"] != tc.wantIP {
				t.Errorf("client_ip %v, want %s", rec["client_ip"], tc.wantIP)
			}
			h.c.do("GET", "/api/v1/me", nil, append(fwd, "X-Request-Id", "me-1")...).want(http.StatusOK)
			if rec := requestLog(t, &logs, "me-1"); rec["user_id"] != h.admin.ID || rec["client_ip"] != tc.wantIP {
				t.Errorf("log of a signed-in request: user_id %v client_ip %v, want %s %s", rec["user_id"], rec["client_ip"], h.admin.ID, tc.wantIP)
			}
			// Plain HTTP without the header: never HSTS.
			if r := h.anon().do("GET", "/healthz", nil); r.header.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS over plain HTTP")
			}
		})
	}
}
