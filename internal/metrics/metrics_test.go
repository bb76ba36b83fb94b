package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/metrics"
	"github.com/openlines/openlines/internal/store"
)

// The token guards the handler: none, a wrong one and a bare token (no
// "Bearer ") are 401; the right one gets the exposition.
func TestHandlerToken(t *testing.T) {
	reg := metrics.NewRegistry()
	srv := httptest.NewServer(metrics.Handler(reg, "s3cret", nil))
	defer srv.Close()
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer wrong", "s3cret", "Bearer s3cret2", "bearer s3cret "} {
		if code, _ := get(auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, code)
		}
	}
	code, body := get("Bearer s3cret")
	if code != 200 || !strings.Contains(body, "# TYPE go_goroutines gauge") || !strings.Contains(body, "process_start_time_seconds") {
		t.Fatalf("with the token: %d\n%.300s", code, body)
	}
}

// Offers observed from the bus: only session.offered with the time its
// session was queued, at the difference between the two.
func TestFlowOfferLatency(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := metrics.NewFlow(reg)
	t0 := time.Unix(1_800_000_000, 0)
	f.OnEvents([]events.Event{
		{Type: events.SessionOffered, At: t0.Add(1500 * time.Millisecond), Queued: t0},
		{Type: events.SessionOffered, At: t0.Add(2 * time.Minute), Queued: t0},
		{Type: events.SessionOffered, At: t0}, // from another node: no Queued
		{Type: events.SessionTaken, At: t0.Add(time.Hour), Queued: t0},
	})
	f.Delivered("api", "sent")
	f.Delivered("api", "sent")
	f.Delivered("widget", "permanent_error")
	want := `# HELP openlines_outbox_deliveries_total Delivery attempts of texts for customers by channel type and result (sent, delivered, read, temporary_error, permanent_error).
# TYPE openlines_outbox_deliveries_total counter
openlines_outbox_deliveries_total{channel_type="api",result="sent"} 2
openlines_outbox_deliveries_total{channel_type="widget",result="permanent_error"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "openlines_outbox_deliveries_total"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "openlines_offer_latency_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 2 || h.GetSampleSum() != 121.5 {
			t.Fatalf("offer latency: count %d sum %v, want 2 and 121.5", h.GetSampleCount(), h.GetSampleSum())
		}
		return
	}
	t.Fatal("no openlines_offer_latency_seconds")
}

// A database that does not answer leaves the business gauges out and says
// so, without failing the scrape; sockets are still reported.
func TestBusinessDatabaseDown(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&metrics.Business{Counts: st.OpsCounts, Operators: func() int { return 3 }, Widgets: func() int { return 7 }})
	want := `# HELP openlines_metrics_database_up 1 when the last scrape could read the business gauges from the database, 0 when not.
# TYPE openlines_metrics_database_up gauge
openlines_metrics_database_up 0
# HELP openlines_websocket_connections Open WebSocket connections on this node, by kind (operator, widget).
# TYPE openlines_websocket_connections gauge
openlines_websocket_connections{kind="operator"} 3
openlines_websocket_connections{kind="widget"} 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
