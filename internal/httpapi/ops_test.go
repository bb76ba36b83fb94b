package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Health, readiness, Prometheus metrics and JSON request logs.
func TestOperations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		st := storetest.Open(t, engine, store.Options{})
		var logs syncBuffer
		srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler())
		defer srv.Close()
		get := func(path string, hdr ...string) (*http.Response, string) {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, string(b)
		}
		if res, body := get("/healthz"); res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("healthz: %d %s", res.StatusCode, body)
		}
		if res, body := get("/readyz"); res.StatusCode != 200 || !strings.Contains(body, engine) {
			t.Fatalf("readyz: %d %s", res.StatusCode, body)
		}
		res, _ := get("/api/v1/me", "X-Request-Id", "trace-42")
		if res.StatusCode != 401 || res.Header.Get("X-Request-Id") != "trace-42" {
			t.Fatalf("request id not echoed: %d %q", res.StatusCode, res.Header.Get("X-Request-Id"))
		}
		if res, _ := get("/api/v1/me", "X-Request-Id", "bad id <script>"); res.Header.Get("X-Request-Id") == "bad id <script>" {
			t.Fatal("an unsafe request id was echoed")
		}
		get("/no/such/path")
		_, metrics := get("/metrics")
		writePool, readPool := "write", "read" // SQLite's two pools; PostgreSQL has one
		if engine != "sqlite" {
			writePool, readPool = "read_write", "read_write"
		}
		for _, want := range []string{
			`openlines_http_requests_total{route="GET /api/v1/me",status="401"} 2`,
			`openlines_http_requests_total{route="GET /healthz",status="200"} 1`,
			`openlines_http_requests_total{route="not_found",status="404"} 1`,
			`openlines_http_request_duration_seconds_bucket{route="GET /readyz",le="+Inf"} 1`,
			`openlines_http_request_duration_seconds_count{route="GET /readyz"} 1`,
			"# TYPE go_sql_open_connections gauge",
			`go_sql_open_connections{db_name="` + engine + `",pool="` + writePool + `"}`,
			`go_sql_in_use_connections{db_name="` + engine + `",pool="` + readPool + `"}`,
			"# TYPE go_goroutines gauge",
			"# TYPE process_resident_memory_bytes gauge",
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		// One JSON log line per request, with its id and route.
		found := false
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			if rec["request_id"] == "trace-42" && rec["route"] == "GET /api/v1/me" && rec["status"] == float64(401) {
				found = true
			}
		}
		if !found {
			t.Fatalf("no request log line for trace-42:\n%s", logs.String())
		}
		// Readiness follows the database.
		st.Close()
		if res, _ := get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database closed: %d", res.StatusCode)
		}
	})
}

// Ten wrong passwords for one address block its sign-in for a while, even
// with the right password; other addresses are not affected.
func TestLoginThrottled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		for range 10 {
			h.anon().do("POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": "guess"}).wantErr(http.StatusUnauthorized, "unauthorized")
		}
		r := h.anon().do("POST", "/api/v1/auth/login", map[string]any{"email": "admin@acme.test", "password": testPassword}).wantErr(http.StatusTooManyRequests, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		h.user(h.ws.ID, "other@acme.test", "manager", false)
		h.login("other@acme.test", testPassword) // not blocked
	})
}
