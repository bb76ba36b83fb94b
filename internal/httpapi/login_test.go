package httpapi_test

import (
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store/storetest"
)

// Forty simultaneous wrong guesses for one address from one client: the
// attempt is reserved before the slow hash, so at most ten are checked and
// the rest are refused with 429 and Retry-After.
func TestLoginConcurrentGuesses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.anon().do("POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": "guess"})
				if (r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable) && r.header.Get("Retry-After") == "" {
					t.Errorf("%d without Retry-After", r.status)
				}
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		// At most 10 are checked; the rest are refused (429), or, on a machine
		// so slow (the race detector) that the hash slots stay busy past their
		// wait, told to come back (503) — never checked.
		refused := statuses[http.StatusTooManyRequests] + statuses[http.StatusServiceUnavailable]
		if statuses[http.StatusUnauthorized] > 10 || statuses[http.StatusUnauthorized]+refused != 40 || statuses[http.StatusTooManyRequests] < 30 {
			t.Fatalf("statuses of 40 concurrent wrong guesses: %v (at most 10 may be checked)", statuses)
		}
	})
}

// An attacker's failures cannot lock the owner out: the limit is per
// address and client IP, a forged X-Forwarded-For is ignored unless the
// peer is a trusted proxy, and behind one the real client's IP counts.
func TestLoginLockoutIsPerClient(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		guess := map[string]any{"email": "admin@acme.test", "password": "guess"}
		right := map[string]any{"email": "admin@acme.test", "password": testPassword}

		// No trusted proxy: X-Forwarded-For is not believed, so rotating it
		// does not escape the limit.
		h := newHarness(t, engine)
		for i := range 10 {
			h.anon().do("POST", "/api/v1/auth/login", guess, "X-Forwarded-For", "203.0.113."+string(rune('1'+i))).want(http.StatusUnauthorized)
		}
		h.anon().do("POST", "/api/v1/auth/login", guess, "X-Forwarded-For", "198.51.100.99").wantErr(http.StatusTooManyRequests, "rate_limited")

		// Behind a trusted proxy (the test's loopback peer), clients are told
		// apart by X-Forwarded-For: the attacker is stopped, the owner is not.
		h = newHarnessWith(t, engine, func(c *httpapi.Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		})
		for range 12 {
			h.anon().do("POST", "/api/v1/auth/login", guess, "X-Forwarded-For", "203.0.113.7")
		}
		h.anon().do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "203.0.113.7").wantErr(http.StatusTooManyRequests, "rate_limited")
		// A client cannot pose as another by prepending to the header: only
		// the right-most untrusted hop counts.
		h.anon().do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "198.51.100.1, 203.0.113.7").wantErr(http.StatusTooManyRequests, "rate_limited")
		h.anon().do("POST", "/api/v1/auth/login", right, "X-Forwarded-For", "198.51.100.1").want(http.StatusOK)
	})
}
