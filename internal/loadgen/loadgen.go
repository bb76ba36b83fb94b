// Package loadgen is the engine of `openlines bench`: it drives a running
// OpenLines server only through its public interfaces — the HTTP API under
// /api/v1 and the operators' WebSocket — and measures throughput, latency
// percentiles, errors by HTTP status and, when the server runs on this
// machine, its resident memory. Each run creates its own line, API channel
// and operators, so runs are repeatable, and removes them afterwards. In
// the same run it drives a bare net/http handler on loopback with the same
// client and connections, and reports every throughput figure also as a
// ratio to that baseline, so that figures from different machines can be
// compared.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenarios.
const (
	Messages      = "messages"       // messages from existing customers into their dialogs
	Conversations = "conversations"  // every message from a new customer: a new dialog and session
	Backlog       = "backlog"        // waiting sessions, then operators come online: offers per second
	Sockets       = "sockets"        // idle operator WebSockets: server memory per socket
	LatencyS      = "latency"        // customer → operator's screen at a fixed rate
	WidgetSockets = "widget-sockets" // idle widget visitors' WebSockets: server memory per socket
	WidgetLatency = "widget-latency" // operator ↔ widget visitor at a fixed rate
)

// ScenarioNames lists the scenarios in the order of the help text.
var ScenarioNames = []string{Messages, Conversations, Backlog, Sockets, LatencyS, WidgetSockets, WidgetLatency}

// Limits of the configuration: every run is bounded in count and time.
const (
	MaxConnections = 10_000
	MaxCount       = 100_000_000
	MaxDuration    = 24 * time.Hour
	MaxCustomers   = 1_000_000
	MaxSessions    = 1_000_000
	MaxOperators   = 10_000
	MaxSockets     = 100_000
	maxEvents      = 20_000_000 // latency: messages × operator sockets kept in memory
)

// Config is one run.
type Config struct {
	Scenario string
	URL      string // the server, e.g. http://127.0.0.1:8080
	// Email and Password sign the administrator in; or Token is an
	// administrator's API token.
	Email, Password, Token string

	Connections int           // concurrent HTTP connections (default 32)
	Rate        float64       // requests per second in total; 0: flat out (latency: default 1000)
	Duration    time.Duration // how long to send (default 10s)
	Count       int           // stop after this many requests (0: no limit)
	Customers   int           // messages: customers (dialogs) made in the warm-up (default 1000); latency: dialogs (default 100); widget-latency: visitors with a dialog (default max(100, 0.6 × rate))
	Sessions    int           // backlog: waiting sessions (default 1000)
	Operators   int           // backlog, latency: operators; sockets: accounts the sockets are spread over (default 10); widget-latency: operators who take the dialogs (default 1)
	// OperatorRole is the role of the operators the run creates (default
	// director: every screen sees every dialog, the widest fan-out; with
	// manager each screen sees only its own dialogs, and latency counts
	// a message as delivered once it reaches any screen).
	OperatorRole string
	Sockets      int           // sockets, widget-sockets: WebSockets to open (default 1000)
	Hold         time.Duration // sockets: how long to hold them open (default 10s)
	Timeout      time.Duration // per request, for events to arrive and for a backlog to drain (default 30s)
	NoBaseline   bool
	PID          int  // the server's process for its memory; 0: find it by the URL's port when local
	SetupOnly    bool // create the line, channel and operators, print them and stop (they are kept)
	Keep         bool // keep what the run created
	Log          io.Writer
}

// Normalize fills in the defaults and checks the configuration; Run calls it.
func (c *Config) Normalize() error {
	if !slices.Contains(ScenarioNames, c.Scenario) {
		return fmt.Errorf("scenario %q is not one of %s", c.Scenario, strings.Join(ScenarioNames, ", "))
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("url %q is not a server address such as http://127.0.0.1:8080", c.URL)
	}
	c.URL = u.Scheme + "://" + u.Host
	if c.Token == "" && (c.Email == "" || c.Password == "") {
		return errors.New("an administrator's e-mail and password, or an API token, are required")
	}
	if c.OperatorRole == "" {
		c.OperatorRole = "director"
	}
	if c.OperatorRole != "director" && c.OperatorRole != "manager" {
		return fmt.Errorf("operator role %q is not director or manager", c.OperatorRole)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Connections, 32)
	def(&c.Sessions, 1000)
	if c.Scenario == WidgetLatency {
		def(&c.Operators, 1)
		if c.Rate == 0 {
			c.Rate = 1000
		}
		def(&c.Customers, max(100, widgetVisitorsFor(c.Rate)))
	}
	def(&c.Operators, 10)
	def(&c.Sockets, 1000)
	if c.Scenario == LatencyS {
		def(&c.Customers, 100)
		if c.Rate == 0 {
			c.Rate = 1000
		}
	}
	def(&c.Customers, 1000)
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Hold == 0 {
		c.Hold = 10 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	switch {
	case c.Connections < 1 || c.Connections > MaxConnections:
		return fmt.Errorf("connections %d is out of range 1..%d", c.Connections, MaxConnections)
	case c.Rate < 0 || c.Rate > 1e6 || math.IsNaN(c.Rate):
		return fmt.Errorf("rate %v is out of range 0..1000000 per second", c.Rate)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("duration %v is out of range 0..%v", c.Duration, MaxDuration)
	case c.Count < 0 || c.Count > MaxCount:
		return fmt.Errorf("count %d is out of range 0..%d", c.Count, MaxCount)
	case c.Customers < 1 || c.Customers > MaxCustomers:
		return fmt.Errorf("customers %d is out of range 1..%d", c.Customers, MaxCustomers)
	case c.Sessions < 1 || c.Sessions > MaxSessions:
		return fmt.Errorf("sessions %d is out of range 1..%d", c.Sessions, MaxSessions)
	case c.Operators < 1 || c.Operators > MaxOperators:
		return fmt.Errorf("operators %d is out of range 1..%d", c.Operators, MaxOperators)
	case c.Sockets < 1 || c.Sockets > MaxSockets:
		return fmt.Errorf("sockets %d is out of range 1..%d", c.Sockets, MaxSockets)
	case c.Hold < 0 || c.Hold > MaxDuration:
		return fmt.Errorf("hold %v is out of range 0..%v", c.Hold, MaxDuration)
	case c.Timeout < 100*time.Millisecond || c.Timeout > time.Hour:
		return fmt.Errorf("timeout %v is out of range 100ms..1h", c.Timeout)
	case c.Scenario == Backlog && c.Sessions > 1000*c.Operators:
		return fmt.Errorf("sessions %d: an operator holds at most 1000 open sessions, so %d operators drain at most %d", c.Sessions, c.Operators, 1000*c.Operators)
	case c.Scenario == WidgetLatency && c.Customers < widgetVisitorsFor(c.Rate):
		return fmt.Errorf("customers %d: a widget visitor writes at most 20 messages in 10 s, so at %g/s the visitors' messages need at least %d visitors", c.Customers, c.Rate, widgetVisitorsFor(c.Rate))
	case c.Scenario == WidgetLatency && c.Customers > 1000*c.Operators:
		return fmt.Errorf("customers %d: an operator holds at most 1000 open sessions, so %d operators take at most %d dialogs", c.Customers, c.Operators, 1000*c.Operators)
	case c.Scenario == WidgetLatency && int64(c.messagesBound())*int64(c.Operators+1) > maxEvents:
		return fmt.Errorf("widget-latency: %d messages × %d sockets is more than the %d deliveries kept in memory; lower --rate, --duration, --count or --operators", c.messagesBound(), c.Operators+1, maxEvents)
	case c.Scenario == LatencyS && int64(c.messagesBound())*int64(c.Operators) > maxEvents:
		return fmt.Errorf("latency: %d messages × %d operator sockets is more than the %d deliveries kept in memory; lower --rate, --duration, --count or --operators", c.messagesBound(), c.Operators, maxEvents)
	}
	return nil
}

// messagesBound is the most requests a run at a fixed rate can send.
func (c *Config) messagesBound() int {
	n := int(math.Ceil(c.Rate*c.Duration.Seconds())) + 1
	if c.Count > 0 {
		n = min(n, c.Count)
	}
	return n
}

// load is the main phase's load.
func (c *Config) load() load {
	return load{conns: c.Connections, rate: c.Rate, duration: c.Duration, count: c.Count, timeout: c.Timeout}
}

// Result is what a run measured; --json prints it as one object.
type Result struct {
	Scenario    string       `json:"scenario"`
	URL         string       `json:"url"`
	Connections int          `json:"connections"`
	Rate        float64      `json:"rate_per_s,omitempty"` // requested; 0: flat out
	Elapsed     float64      `json:"elapsed_s"`            // of the measured phase
	Throughput  []Throughput `json:"throughput"`
	Latency     []Latency    `json:"latency"`
	// Errors counts failures by HTTP status ("500"), "timeout", "transport",
	// and scenario-specific kinds ("missing_events", "socket_dropped").
	Errors   Errors          `json:"errors"`
	Baseline *Baseline       `json:"baseline,omitempty"`
	Server   *Server         `json:"server,omitempty"`
	Backlog  *BacklogResult  `json:"backlog,omitempty"`
	Sockets  *SocketsResult  `json:"sockets,omitempty"`
	Delivery *DeliveryResult `json:"delivery,omitempty"`
	Widget   *WidgetResult   `json:"widget,omitempty"`
	Setup    Setup           `json:"setup"`
}

// Throughput is one rate a scenario measured.
type Throughput struct {
	Name      string  `json:"name"`
	Count     int64   `json:"count"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// Ratio is PerSecond over the baseline's requests per second.
	Ratio float64 `json:"ratio_to_baseline,omitempty"`
}

// Server is the server process's memory, when it was found.
type Server struct {
	PID       int   `json:"pid"`
	RSSBefore int64 `json:"rss_before_bytes"`
	RSSAfter  int64 `json:"rss_after_bytes"`
}

// Setup is what the run created on the server.
type Setup struct {
	RunID     string   `json:"run_id"`
	LineID    string   `json:"line_id,omitempty"`
	LineName  string   `json:"line_name,omitempty"`
	ChannelID string   `json:"channel_id,omitempty"`
	Operators []string `json:"operators,omitempty"`         // e-mails
	Password  string   `json:"operator_password,omitempty"` // only when kept
	Kept      bool     `json:"kept"`
}

func (r *Result) addThroughput(name string, n int64, d time.Duration) {
	t := Throughput{Name: name, Count: n, Seconds: round3(d.Seconds())}
	if d > 0 {
		t.PerSecond = round1(float64(n) / d.Seconds())
	}
	r.Throughput = append(r.Throughput, t)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Run performs one run: sign in, set up, measure, baseline, clean up.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	e, err := newEnv(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.a.close()
	keep := cfg.Keep || cfg.SetupOnly
	defer func() {
		if !keep {
			e.cleanup()
		}
	}()
	if err := e.setup(ctx); err != nil {
		return nil, err
	}
	res := &Result{Scenario: cfg.Scenario, URL: cfg.URL, Connections: cfg.Connections, Rate: cfg.Rate, Errors: Errors{}, Setup: e.describe(keep)}
	if cfg.SetupOnly {
		return res, nil
	}
	pid := e.serverPID()
	if before := rss("/proc", pid); before > 0 {
		if cfg.Scenario == Sockets {
			before = settledRSS(ctx, "/proc", pid, 5*time.Second)
		}
		res.Server = &Server{PID: pid, RSSBefore: before}
	}
	switch cfg.Scenario {
	case Messages, Conversations:
		err = runMessages(ctx, e, res)
	case LatencyS:
		err = runLatency(ctx, e, res)
	case Backlog:
		err = runBacklog(ctx, e, res)
	case Sockets:
		err = runSockets(ctx, e, res)
	case WidgetSockets:
		err = runWidgetSockets(ctx, e, res)
	case WidgetLatency:
		err = runWidgetLatency(ctx, e, res)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	if res.Server != nil && res.Server.RSSAfter == 0 {
		res.Server.RSSAfter = rss("/proc", pid)
	}
	if !cfg.NoBaseline && len(res.Throughput) > 0 {
		d := max(time.Duration(res.Elapsed*float64(time.Second)), 500*time.Millisecond)
		e.logf("baseline: a bare net/http handler on loopback, %d connections, %v", cfg.Connections, d.Round(time.Millisecond))
		b, err := runBaseline(ctx, cfg.Connections, d, cfg.Timeout)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		res.Baseline = b
		for i := range res.Throughput {
			if b.PerSecond > 0 {
				res.Throughput[i].Ratio = math.Round(res.Throughput[i].PerSecond/b.PerSecond*1e4) / 1e4
			}
		}
	}
	return res, nil
}

// env is a run's connection to the server and what it set up there.
type env struct {
	cfg       Config
	a         *api
	admin     *account // nil when signed in with a token
	runID     string
	tokenID   string // the token this run created (deleted at cleanup)
	password  string // the operators'
	lineID    string
	lineName  string
	channelID string
	ops       []*account // the line's operators (sockets: the accounts)
	probe     *account   // backlog: an operator outside the line whose status changes are timed
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.cfg.Log, "bench: "+format+"\n", args...)
}

// newEnv signs the administrator in. With a password it creates an API
// token for the run, so that the load goes through bearer authentication
// as a connector's would.
func newEnv(ctx context.Context, cfg Config) (*env, error) {
	e := &env{cfg: cfg, a: newAPI(cfg.URL, cfg.Connections), runID: randomHex(4), password: "bench-" + randomHex(8)}
	if cfg.Token != "" {
		e.a.token = cfg.Token
	} else {
		u, err := e.a.login(ctx, cfg.Email, cfg.Password)
		if err != nil {
			e.a.close()
			return nil, fmt.Errorf("sign in as %s: %w", cfg.Email, err)
		}
		e.admin = u
		id, secret, err := e.a.createToken(ctx, u, "openlines bench "+e.runID)
		if err != nil {
			e.a.close()
			return nil, err
		}
		e.tokenID, e.a.token = id, secret
	}
	_, role, err := e.a.me(ctx, nil)
	if err == nil && role != "administrator" {
		err = fmt.Errorf("the account is a %s; the bench needs an administrator (it creates a line and users)", role)
	}
	if err != nil {
		e.cleanup() // the token, if this run made one
		e.a.close()
		return nil, err
	}
	return e, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ext makes a run-unique external id: kind "c" customer, "m" message, …
func (e *env) ext(kind string, i int) string { return e.runID + "-" + kind + strconv.Itoa(i) }

// setup creates the operators, the line and its API channel the scenario needs.
func (e *env) setup(ctx context.Context) error {
	cfg := e.cfg
	nops := 0
	switch cfg.Scenario {
	case Backlog, LatencyS, Sockets, WidgetLatency:
		nops = cfg.Operators
	}
	if nops > 0 {
		e.logf("creating and signing in %d operators", nops)
		e.ops = make([]*account, nops)
		if err := parallel(ctx, nops, 4, func(i int) error {
			u, err := e.newOperator(ctx, strconv.Itoa(i+1))
			e.ops[i] = u
			return err
		}); err != nil {
			return err
		}
	}
	if cfg.Scenario == Backlog {
		var err error
		if e.probe, err = e.newOperator(ctx, "probe"); err != nil {
			return err
		}
	}
	if cfg.Scenario == Sockets {
		return nil // sockets need accounts, not a line
	}
	e.lineName = "Bench " + cfg.Scenario + " " + e.runID
	settings := map[string]any{"name": e.lineName}
	queue := make([]string, len(e.ops))
	for i, u := range e.ops {
		queue[i] = u.ID
	}
	settings["queue"] = queue
	if cfg.Scenario == Backlog {
		// Only operators online get offers, each up to an equal share, so
		// the backlog is drained only when all of them are online.
		settings["check_available"] = true
		settings["limit_enabled"] = true
		settings["limit"] = (cfg.Sessions + len(e.ops) - 1) / len(e.ops)
	}
	var err error
	if e.lineID, err = e.a.createLine(ctx, settings); err != nil {
		return err
	}
	kind := "api"
	if cfg.Scenario == WidgetSockets || cfg.Scenario == WidgetLatency {
		kind = "widget"
		e.channelID, err = e.a.createWidgetChannel(ctx, e.lineID)
	} else {
		e.channelID, err = e.a.createChannel(ctx, e.lineID)
	}
	e.logf("created line %q (%s) with %s channel %s", e.lineName, e.lineID, kind, e.channelID)
	return err
}

func (e *env) newOperator(ctx context.Context, n string) (*account, error) {
	email := "bench-" + e.runID + "-" + n + "@bench.openlines.test"
	id, err := e.a.createUser(ctx, email, "Bench operator "+n, e.password, e.cfg.OperatorRole)
	if err != nil {
		return nil, err
	}
	u, err := e.a.login(ctx, email, e.password)
	if err == nil && u.ID != id {
		err = fmt.Errorf("signed in as %s, created %s", u.ID, id)
	}
	return u, err
}

// describe lists what the run created.
func (e *env) describe(keep bool) Setup {
	s := Setup{RunID: e.runID, LineID: e.lineID, LineName: e.lineName, ChannelID: e.channelID, Kept: keep}
	for _, u := range e.ops {
		s.Operators = append(s.Operators, u.Email)
	}
	if e.probe != nil {
		s.Operators = append(s.Operators, e.probe.Email)
	}
	if keep && len(s.Operators) > 0 {
		s.Password = e.password
	}
	return s
}

// cleanup removes what the run created: the line with its dialogs, the
// operators (signed out and deactivated; users cannot be deleted) and the
// run's token. It runs even after an interrupt.
func (e *env) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var errs []error
	for _, u := range append(slices.Clip(e.ops), e.probe) {
		if u == nil {
			continue
		}
		if err := e.a.do(ctx, u, "POST", "/api/v1/auth/logout", nil, nil, 204); err != nil {
			errs = append(errs, err)
		}
		if err := e.a.do(ctx, nil, "POST", "/api/v1/users/"+url.PathEscape(u.ID)+"/deactivate", nil, nil, 200); err != nil {
			errs = append(errs, err)
		}
	}
	if e.lineID != "" {
		e.logf("cleaning up: deleting line %q with its dialogs", e.lineName)
		if err := e.a.do(ctx, nil, "DELETE", "/api/v1/lines/"+url.PathEscape(e.lineID), map[string]string{"confirm": e.lineName}, nil, 204); err != nil {
			errs = append(errs, err)
		}
	}
	if e.tokenID != "" {
		if err := e.a.do(ctx, nil, "DELETE", "/api/v1/tokens/"+url.PathEscape(e.tokenID), nil, nil, 204); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.logf("cleanup: %v", err)
	}
}

// serverPID is --pid, or the local process listening on the URL's port.
func (e *env) serverPID() int {
	if e.cfg.PID > 0 {
		if _, err := os.Stat("/proc/" + strconv.Itoa(e.cfg.PID)); err == nil {
			return e.cfg.PID
		}
		return 0
	}
	u, _ := url.Parse(e.cfg.URL)
	if !isLocalHost(u.Hostname()) {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return findListener("/proc", port)
}

// parallel calls fn(0..n-1) on at most workers goroutines and returns the
// first error; after an error the remaining calls are skipped.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		once   sync.Once
		first  error
		failed atomic.Bool
		wg     sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err; failed.Store(true) })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
