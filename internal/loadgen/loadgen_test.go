package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

const (
	adminEmail    = "admin@bench.test"
	adminPassword = "bench-admin-password"
)

// server is a whole OpenLines behind httptest on a temp SQLite database,
// with its first administrator.
type server struct {
	stack *app.Stack
	srv   *httptest.Server
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	stack, err := app.Start(ctx, filepath.Join(t.TempDir(), "bench.db"), app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{stack: stack, srv: httptest.NewServer(stack.Handler)}
	t.Cleanup(func() { s.srv.Close(); stack.Close() })
	if _, _, created, err := app.Bootstrap(ctx, stack.Store, app.Config{AdminEmail: adminEmail, AdminPassword: adminPassword, Plan: workspace.Enterprise}); err != nil || !created {
		t.Fatalf("bootstrap: %v", err)
	}
	return s
}

func (s *server) config(scenario string) Config {
	return Config{Scenario: scenario, URL: s.srv.URL, Email: adminEmail, Password: adminPassword,
		Connections: 8, Timeout: 20 * time.Second, Duration: time.Minute, NoBaseline: true}
}

func (s *server) workspaceID(t *testing.T) string {
	t.Helper()
	u, err := s.stack.Store.UserByEmail(context.Background(), adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	return u.WorkspaceID
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	var log bytes.Buffer
	cfg.Log = &log
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%s: %v\n%s", cfg.Scenario, err, log.String())
	}
	var text bytes.Buffer
	res.WriteText(&text)
	t.Logf("%s", text.String())
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
	if n := res.Errors.Total(); n != 0 {
		t.Errorf("errors: %s", res.Errors)
	}
	return res
}

func throughput(t *testing.T, res *Result, name string) Throughput {
	t.Helper()
	for _, th := range res.Throughput {
		if th.Name == name {
			return th
		}
	}
	t.Fatalf("no throughput %q in %+v", name, res.Throughput)
	return Throughput{}
}

func latency(t *testing.T, res *Result, name string) Latency {
	t.Helper()
	for _, l := range res.Latency {
		if l.Name == name {
			// p50 may be 0 for ack_to_screen: the event often comes first.
			if l.N == 0 || l.P50 < 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max || l.Max <= 0 {
				t.Errorf("latency %s is not sane: %+v", name, l)
			}
			return l
		}
	}
	t.Fatalf("no latency %q in %+v", name, res.Latency)
	return Latency{}
}

// assertCleanedUp: the run's line is gone and its operators inactive.
func (s *server) assertCleanedUp(t *testing.T, res *Result) {
	t.Helper()
	ctx := context.Background()
	ws := s.workspaceID(t)
	if res.Setup.LineID != "" {
		if _, err := s.stack.Store.GetLine(ctx, ws, res.Setup.LineID); err == nil {
			t.Errorf("line %s is still there after the run", res.Setup.LineID)
		}
	}
	us, err := s.stack.Store.ListUsers(ctx, ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Email != adminEmail && u.Active {
			t.Errorf("operator %s is still active after the run", u.Email)
		}
	}
}

func TestMessages(t *testing.T) {
	s := newServer(t)
	cfg := s.config(Messages)
	cfg.Count, cfg.Customers = 200, 20
	res := run(t, cfg)
	th := throughput(t, res, "messages")
	if th.Count != 200 || th.PerSecond <= 0 {
		t.Errorf("messages: %+v", th)
	}
	if l := latency(t, res, "request"); l.N != 200 {
		t.Errorf("request latency over %d requests, want 200", l.N)
	}
	if res.Server == nil || res.Server.PID != os.Getpid() || res.Server.RSSBefore <= 0 || res.Server.RSSAfter <= 0 {
		t.Errorf("server memory: %+v (the test server listens in this process %d)", res.Server, os.Getpid())
	}
	s.assertCleanedUp(t, res)
}

// TestConversations keeps the line and counts its dialogs: one per message.
func TestConversations(t *testing.T) {
	s := newServer(t)
	cfg := s.config(Conversations)
	cfg.Count, cfg.Keep, cfg.Rate = 200, true, 2000
	res := run(t, cfg)
	if th := throughput(t, res, "conversations"); th.Count != 200 || th.PerSecond <= 0 {
		t.Errorf("conversations: %+v", th)
	}
	latency(t, res, "request")
	if !res.Setup.Kept || res.Setup.LineID == "" {
		t.Fatalf("setup: %+v", res.Setup)
	}
	n, cursor := 0, ""
	for {
		page, err := s.stack.Store.ListDialogs(context.Background(), s.workspaceID(t), dialog.ListFilter{LineID: res.Setup.LineID, Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Dialogs)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if n != 200 {
		t.Errorf("%d dialogs on the line, want one per message (200)", n)
	}
}

func TestBacklog(t *testing.T) {
	s := newServer(t)
	cfg := s.config(Backlog)
	cfg.Sessions, cfg.Operators = 50, 5
	res := run(t, cfg)
	b := res.Backlog
	if b == nil || b.Sessions != 50 || b.Operators != 5 || b.Limit != 10 || b.DrainSeconds <= 0 {
		t.Fatalf("backlog: %+v", b)
	}
	if th := throughput(t, res, "offers"); th.Count != 50 || th.PerSecond <= 0 {
		t.Errorf("offers: %+v", th)
	}
	throughput(t, res, "backlog_sessions")
	if l := latency(t, res, "status_change"); l.N < 6 { // five operators online, at least one probe change
		t.Errorf("status changes timed: %d, want ≥ 6", l.N)
	}
	s.assertCleanedUp(t, res)
}

// TestBacklogPastTheSocketQueue: one operator's share of offers is more
// than a socket's send queue, so the server usually drops the watching
// socket; the drain is still measured (confirmed through the dialog list).
func TestBacklogPastTheSocketQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,024 sessions")
	}
	s := newServer(t)
	cfg := s.config(Backlog)
	cfg.Sessions, cfg.Operators = 4*realtime.QueueSize, 2
	res := run(t, cfg)
	if th := throughput(t, res, "offers"); th.Count != int64(cfg.Sessions) || th.PerSecond <= 0 {
		t.Errorf("offers: %+v", th)
	}
	t.Logf("watch socket dropped %d times; completion by %s", res.Backlog.WatchDrops, res.Backlog.Completion)
}

func TestSockets(t *testing.T) {
	s := newServer(t)
	cfg := s.config(Sockets)
	cfg.Sockets, cfg.Operators, cfg.Hold = 20, 3, 300*time.Millisecond
	res := run(t, cfg)
	so := res.Sockets
	if so == nil || so.Opened != 20 || so.OpenAfterHold != 20 || so.ConnectsPerSecond <= 0 {
		t.Fatalf("sockets: %+v", so)
	}
	latency(t, res, "connect")
	if res.Server == nil || res.Server.RSSAfter <= 0 {
		t.Errorf("server memory: %+v", res.Server)
	}
	if n := s.stack.Hub.Connections(); n != 0 {
		t.Errorf("%d sockets still connected after the run", n)
	}
	s.assertCleanedUp(t, res)
}

func TestLatency(t *testing.T) {
	s := newServer(t)
	cfg := s.config(LatencyS)
	cfg.Count, cfg.Rate, cfg.Customers, cfg.Operators = 200, 500, 20, 3
	res := run(t, cfg)
	d := res.Delivery
	if d == nil || d.Sockets != 3 || d.Expected != 600 || d.Delivered != 600 {
		t.Fatalf("delivery: %+v", d)
	}
	if th := throughput(t, res, "messages"); th.Count != 200 || th.PerSecond <= 0 || th.PerSecond > 600 {
		t.Errorf("messages at 500/s: %+v", th)
	}
	if l := latency(t, res, "send_to_screen"); l.N != 600 {
		t.Errorf("send→screen over %d deliveries, want 600", l.N)
	}
	if l := latency(t, res, "ack_to_screen"); l.N != 600 {
		t.Errorf("ack→screen over %d deliveries, want 600", l.N)
	}
	latency(t, res, "request")
	s.assertCleanedUp(t, res)
}

// TestBaseline: the bare handler answers, and a run reports its figures as
// ratios to it.
func TestBaseline(t *testing.T) {
	b, err := runBaseline(context.Background(), 4, 300*time.Millisecond, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b.Requests <= 0 || b.PerSecond <= 0 || b.Errors.Total() != 0 || b.Latency.N != b.Requests {
		t.Fatalf("baseline: %+v", b)
	}

	s := newServer(t)
	cfg := s.config(Conversations)
	cfg.Count, cfg.NoBaseline = 100, false
	res := run(t, cfg)
	if res.Baseline == nil || res.Baseline.PerSecond <= 0 || res.Baseline.Errors.Total() != 0 {
		t.Fatalf("baseline: %+v", res.Baseline)
	}
	th := throughput(t, res, "conversations")
	if want := th.PerSecond / res.Baseline.PerSecond; th.Ratio <= 0 || th.Ratio-want > 1e-3 || want-th.Ratio > 1e-3 {
		t.Errorf("ratio %v, want %v", th.Ratio, want)
	}
}

// TestTokenAndSetupOnly: an API token instead of a password; --setup-only
// keeps what it made and prints how to sign in as its operators.
func TestTokenAndSetupOnly(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	admin, err := s.stack.Store.UserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	secret, hash, _ := user.NewSecret("olt_")
	if _, err := s.stack.Store.CreateAPIToken(ctx, admin, "bench", hash, nil); err != nil {
		t.Fatal(err)
	}
	cfg := s.config(LatencyS)
	cfg.Email, cfg.Password, cfg.Token = "", "", secret
	cfg.SetupOnly, cfg.Operators = true, 2
	res := run(t, cfg)
	if !res.Setup.Kept || res.Setup.LineID == "" || res.Setup.ChannelID == "" || len(res.Setup.Operators) != 2 || res.Setup.Password == "" {
		t.Fatalf("setup: %+v", res.Setup)
	}
	if _, err := s.stack.Store.GetLine(ctx, admin.WorkspaceID, res.Setup.LineID); err != nil {
		t.Errorf("the line was not kept: %v", err)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), res.Setup.ChannelID) || !strings.Contains(text.String(), res.Setup.Password) {
		t.Errorf("setup text lacks the channel or password:\n%s", text.String())
	}
}

// TestNotAdministrator: a manager is refused, and the token made for the
// run is removed again.
func TestNotAdministrator(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	hash, _ := user.HashPassword("manager-password")
	m, err := s.stack.Store.CreateUser(ctx, user.User{WorkspaceID: s.workspaceID(t), Email: "m@bench.test", Name: "M", Role: user.Manager, Active: true, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.config(Messages)
	cfg.Email, cfg.Password = m.Email, "manager-password"
	if _, err := Run(ctx, cfg); err == nil || !strings.Contains(err.Error(), "needs an administrator") {
		t.Fatalf("a manager ran the bench: %v", err)
	}
	if ts, err := s.stack.Store.ListAPITokens(ctx, m.WorkspaceID, m.ID); err != nil || len(ts) != 0 {
		t.Errorf("tokens left: %v %v", ts, err)
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{Scenario: Messages, URL: "http://127.0.0.1:8080", Token: "olt_x"}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"scenario", func(c *Config) { c.Scenario = "flood" }, "not one of"},
		{"url", func(c *Config) { c.URL = "127.0.0.1:8080" }, "not a server address"},
		{"url path", func(c *Config) { c.URL = "http://h/api" }, "not a server address"},
		{"auth", func(c *Config) { c.Token = "" }, "required"},
		{"connections", func(c *Config) { c.Connections = -1 }, "connections"},
		{"timeout", func(c *Config) { c.Timeout = time.Millisecond }, "timeout"},
		{"backlog share", func(c *Config) { c.Scenario, c.Sessions, c.Operators = Backlog, 3001, 3 }, "at most 1000"},
		{"latency memory", func(c *Config) { c.Scenario, c.Rate, c.Duration, c.Operators = LatencyS, 1e6, time.Hour, 100 }, "memory"},
	} {
		c := ok
		tc.change(&c)
		if err := c.Normalize(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
	c := ok
	if err := c.Normalize(); err != nil || c.Connections != 32 || c.Duration != 10*time.Second || c.Customers != 1000 {
		t.Errorf("defaults: %v %+v", err, c)
	}
	c = Config{Scenario: LatencyS, URL: "http://127.0.0.1:8080/", Token: "t"}
	if err := c.Normalize(); err != nil || c.Rate != 1000 || c.Customers != 100 || c.URL != "http://127.0.0.1:8080" {
		t.Errorf("latency defaults: %v %+v", err, c)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	l := summarize("x", d, 0, 0)
	if l.N != 100 || l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("%+v", l)
	}
	if l := summarize("none", nil, 0, 0); l.N != 0 || l.String() != "no samples" {
		t.Errorf("%+v", l)
	}
	s := newSampler(10)
	for i := range 1000 {
		s.add(time.Duration(i))
	}
	if len(s.d) != 10 || s.seen != 1000 || s.max != 999 {
		t.Errorf("sampler kept %d of %d, max %v", len(s.d), s.seen, s.max)
	}
}

func TestErrorKinds(t *testing.T) {
	errs := Errors{}
	errs[errorKey(&StatusError{Code: 503})]++
	errs[errorKey(context.DeadlineExceeded)]++
	errs[errorKey(io.ErrUnexpectedEOF)]++
	if got := errs.String(); got != "503: 1, timeout: 1, transport: 1" {
		t.Errorf("%q", got)
	}
	if (Errors{}).String() != "none" {
		t.Error("empty errors")
	}
}

func TestFindListener(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if pid := findListener("/proc", port); pid != os.Getpid() {
		t.Errorf("listener on %d: pid %d, want %d", port, pid, os.Getpid())
	}
	if n := rss("/proc", os.Getpid()); n <= 0 {
		t.Errorf("rss %d", n)
	}
	if !isLocalHost("127.0.0.1") || !isLocalHost("localhost") || isLocalHost("example.com") || isLocalHost("192.0.2.1") {
		t.Error("isLocalHost")
	}
}
