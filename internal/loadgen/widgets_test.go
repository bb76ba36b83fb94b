package loadgen

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestWidgetSockets: visitors created and their sockets opened through
// the widget's public routes, each socket up to the server's ready.
func TestWidgetSockets(t *testing.T) {
	s := newServer(t)
	cfg := s.config(WidgetSockets)
	cfg.Sockets, cfg.Hold = 50, 300*time.Millisecond
	res := run(t, cfg)
	so := res.Sockets
	if so == nil || so.Requested != 50 || so.Opened != 50 || so.OpenAfterHold != 50 || so.ConnectsPerSecond <= 0 {
		t.Fatalf("sockets: %+v", so)
	}
	if th := throughput(t, res, "visitors"); th.Count != 50 || th.PerSecond <= 0 {
		t.Errorf("visitors: %+v", th)
	}
	if th := throughput(t, res, "visitor_sockets"); th.Count != 50 {
		t.Errorf("visitor sockets: %+v", th)
	}
	latency(t, res, "connect")
	latency(t, res, "new_visitor")
	w := res.Widget
	// 50 visitors, 10 on each source address: 5 addresses, so that no
	// address goes past the server's 20 new visitors a minute.
	if w == nil || w.Visitors != 50 || w.SourceAddresses != 5 || w.ChannelID == "" {
		t.Fatalf("widget: %+v", w)
	}
	if res.Server == nil || res.Server.PID != os.Getpid() || res.Server.RSSBefore <= 0 || res.Server.RSSAfter <= 0 {
		t.Errorf("server memory: %+v", res.Server)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), "50 visitors") {
		t.Errorf("widget text: %q", text.String())
	}
	s.assertCleanedUp(t, res)
}

// TestWidgetSocketsOneAddress: without spreading, the server's limit of
// new visitors per address holds, and the run counts the 429s — the
// limits are the server's, and the spread is what keeps a run within them.
func TestWidgetSocketsOneAddress(t *testing.T) {
	s := newServer(t)
	cfg := s.config(WidgetSockets)
	cfg.Normalize()
	e, err := newEnv(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.a.close()
	defer e.cleanup()
	if err := e.setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := newSources(cfg.URL, 100)
	src.ips = src.ips[:1]
	defer src.closeIdle()
	_, _, err = e.newVisitors(context.Background(), src, 21)
	if err == nil || !strings.Contains(err.Error(), "20 of 21") || !strings.Contains(err.Error(), "429: 1") {
		t.Fatalf("21 visitors from one address: %v", err)
	}
}

// TestWidgetLatency: operators take the visitors' dialogs and reply at a
// rate; every reply reaches its visitor's socket, and every visitor's
// message the operators' screens.
func TestWidgetLatency(t *testing.T) {
	s := newServer(t)
	cfg := s.config(WidgetLatency)
	cfg.Count, cfg.Rate, cfg.Customers, cfg.Operators = 200, 200, 120, 2
	res := run(t, cfg)
	w := res.Widget
	if w == nil || w.Visitors != 120 || w.SourceAddresses != 12 {
		t.Fatalf("widget: %+v", w)
	}
	if d := w.Replies; d == nil || d.Expected != 200 || d.Delivered != 200 || d.Sockets != 120 {
		t.Errorf("replies: %+v", d)
	}
	// Directors: both screens see every visitor's message.
	if d := w.VisitorMessages; d == nil || d.Expected != 400 || d.Delivered != 400 || d.Sockets != 2 {
		t.Errorf("visitor messages: %+v", d)
	}
	for _, name := range []string{"replies", "visitor_messages"} {
		if th := throughput(t, res, name); th.Count != 200 || th.PerSecond <= 0 || th.PerSecond > 240 {
			t.Errorf("%s at 200/s: %+v", name, th)
		}
	}
	for name, n := range map[string]int64{"reply_to_visitor": 200, "reply_ack_to_visitor": 200, "reply_request": 200, "visitor_to_screen": 400, "visitor_ack_to_screen": 400, "visitor_request": 200} {
		if l := latency(t, res, name); l.N != n {
			t.Errorf("%s over %d, want %d", name, l.N, n)
		}
	}
	if res.Setup.LineID == "" || len(res.Setup.Operators) != 2 {
		t.Errorf("setup: %+v", res.Setup)
	}
	s.assertCleanedUp(t, res)
}

func TestWidgetConfig(t *testing.T) {
	c := Config{Scenario: WidgetLatency, URL: "http://127.0.0.1:8080", Token: "t"}
	if err := c.Normalize(); err != nil || c.Rate != 1000 || c.Customers != 600 || c.Operators != 1 {
		t.Errorf("widget-latency defaults: %v %+v", err, c)
	}
	c = Config{Scenario: WidgetLatency, URL: "http://127.0.0.1:8080", Token: "t", Rate: 1000, Customers: 100}
	if err := c.Normalize(); err == nil || !strings.Contains(err.Error(), "at least 600 visitors") {
		t.Errorf("too few visitors for the rate: %v", err)
	}
	c = Config{Scenario: WidgetLatency, URL: "http://127.0.0.1:8080", Token: "t", Rate: 100, Customers: 1500}
	if err := c.Normalize(); err == nil || !strings.Contains(err.Error(), "at most 1000 open sessions") {
		t.Errorf("too many dialogs for one operator: %v", err)
	}
	c = Config{Scenario: WidgetSockets, URL: "http://127.0.0.1:8080", Token: "t"}
	if err := c.Normalize(); err != nil || c.Sockets != 1000 {
		t.Errorf("widget-sockets defaults: %v %+v", err, c)
	}
	// Spread only on loopback: a server elsewhere sees one address.
	if s := newSources("http://127.0.0.1:1", 10_000); len(s.ips) != 1000 || !s.spread() || s.ips[0][12] != 127 {
		t.Errorf("loopback: %d addresses", len(s.ips))
	}
	if s := newSources("http://localhost:1", 5); len(s.ips) != 1 || !s.spread() {
		t.Errorf("localhost: %d addresses", len(s.ips))
	}
	if s := newSources("http://192.0.2.1:1", 10_000); len(s.ips) != 1 || s.spread() {
		t.Errorf("elsewhere: %d addresses", len(s.ips))
	}
}
