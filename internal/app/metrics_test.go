package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openlines/openlines/internal/store/storetest"
)

func scrape(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// The running stack's /metrics after real traffic: an operator online with
// a socket, two customers' messages offered to them, the welcome texts
// delivered. Every business series shows what happened, and the whole
// exposition passes the client library's linter and, where installed,
// promtool check metrics (CI installs it).
func TestStackMetrics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixtureOn(t, storetest.DSN(t, engine), true)
		hc := f.login(t)
		req, _ := http.NewRequest("PUT", f.srv.URL+"/api/v1/me/status", strings.NewReader(`{"status":"online"}`))
		req.Header.Set("Content-Type", "application/json")
		if res, err := hc.Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("set online: %v %v", res, err)
		}
		conn, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		for _, c := range []string{"c1", "c2"} {
			res, err := f.inbound(c, "m-"+c, "hello")
			if err != nil || res.StatusCode != 201 {
				t.Fatalf("inbound: %v %v", res, err)
			}
			res.Body.Close()
		}
		if res, _ := f.inbound("c1", "m-c1", "hello"); res.StatusCode != 200 { // a duplicate is not counted
			t.Fatalf("duplicate: %d", res.StatusCode)
		}
		want := []string{
			`openlines_inbound_messages_total{channel_type="api"} 2`,
			`openlines_websocket_connections{kind="operator"} 1`,
			`openlines_websocket_connections{kind="widget"} 0`,
			`openlines_operators_online 1`,
			`openlines_metrics_database_up 1`,
			`openlines_build_info{engine="` + engine + `",version="unknown"} 1`,
			`openlines_outbox_deliveries_total{channel_type="api",result="sent"} 2`,
			`openlines_outbox_backlog_messages{channel_type="api"} 0`,
			`openlines_offer_latency_seconds_count 2`,
			`openlines_line_queued_sessions{line_id="`,
			`openlines_sessions{status="in_work"} 0`,
			`openlines_http_requests_total{route="POST /api/v1/channels/{id}/messages",status="201"} 2`,
			`go_sql_max_open_connections{db_name="` + engine + `",pool="`,
		}
		var body string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			body = scrape(t, f.srv.URL+"/metrics", "")
			missing := ""
			for _, w := range want {
				if !strings.Contains(body, w) {
					missing = w
					break
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("metrics lack %q:\n%s", missing, grepOpenLines(body))
			}
		}
		// Both sessions are offered to the operator but not taken: still queued.
		if m := regexp.MustCompile(`openlines_sessions\{status="queued"\} (\d+)`).FindStringSubmatch(body); m == nil || m[1] != "2" {
			t.Errorf("queued sessions: %v\n%s", m, grepOpenLines(body))
		}
		problems, err := testutil.GatherAndLint(f.stack.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
		promtool(t, body)
	})
}

// promtool runs `promtool check metrics` on an exposition; without promtool
// it is skipped locally and fails under CI (.ci/run installs it).
func promtool(t *testing.T, exposition string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if ciRun() {
			t.Fatal("promtool is missing (Debian package prometheus); .ci/run installs it")
		}
		t.Log("promtool not installed: promtool check metrics skipped")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
}

func grepOpenLines(body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "openlines_") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func ciRun() bool { return os.Getenv("CI") == "true" }
