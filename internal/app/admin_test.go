package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/testkit"
	"github.com/openlines/openlines/internal/workspace"
)

// serveFor runs app.Serve with cfg (DB, admin and timeouts filled in) until
// the test ends, and waits until addr answers /healthz.
func serveFor(t *testing.T, cfg app.Config, scheme string, hc *http.Client) {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "o.db")
	}
	cfg.Plan, cfg.AdminEmail, cfg.AdminPassword, cfg.ShutdownTimeout, cfg.Version = workspace.Enterprise, "boss@acme.test", "a long enough password", 5*time.Second, "test"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, io.Discard, slog.New(slog.NewJSONHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		res, err := hc.Get(scheme + "://" + cfg.Addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", cfg.Addr, err)
		}
	}
}

func status(t *testing.T, hc *http.Client, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// --metrics-addr moves /metrics to the admin listener, --pprof serves
// profiles there and never on the main listener, and --metrics-token
// guards both.
func TestAdminListener(t *testing.T) {
	main, admin := testkit.FreeAddr(t), testkit.FreeAddr(t)
	hc := &http.Client{Timeout: 30 * time.Second}
	serveFor(t, app.Config{Addr: main, MetricsAddr: admin, MetricsToken: "tok", Profiling: true}, "http", hc)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline", "/metrics"} {
		if code, _ := status(t, hc, "http://"+main+path, "tok"); code != http.StatusNotFound {
			t.Errorf("main listener %s: %d, want 404", path, code)
		}
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		if code, _ := status(t, hc, "http://"+admin+path, ""); code != http.StatusUnauthorized {
			t.Errorf("admin %s without the token: %d, want 401", path, code)
		}
	}
	if code, body := status(t, hc, "http://"+admin+"/metrics", "tok"); code != 200 || !strings.Contains(body, `openlines_http_requests_total{route="GET /healthz",status="200"}`) {
		t.Errorf("admin /metrics: %d\n%.400s", code, body)
	}
	if code, body := status(t, hc, "http://"+admin+"/debug/pprof/goroutine?debug=1", "tok"); code != 200 || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("admin pprof: %d %.200s", code, body)
	}
}

// Profiling is off by default: the admin listener serves only /metrics.
func TestProfilingOffByDefault(t *testing.T) {
	main, admin := testkit.FreeAddr(t), testkit.FreeAddr(t)
	hc := &http.Client{Timeout: 30 * time.Second}
	serveFor(t, app.Config{Addr: main, MetricsAddr: admin}, "http", hc)
	if code, _ := status(t, hc, "http://"+admin+"/debug/pprof/", ""); code != http.StatusNotFound {
		t.Errorf("pprof without --pprof: %d, want 404", code)
	}
	if code, _ := status(t, hc, "http://"+admin+"/metrics", ""); code != 200 {
		t.Errorf("admin /metrics without a token: %d", code)
	}
	if code, _ := status(t, hc, "http://"+main+"/debug/pprof/", ""); code != http.StatusNotFound {
		t.Errorf("main pprof: %d", code)
	}
}
