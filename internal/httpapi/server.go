// Package httpapi serves the REST API under /api/v1 and the operations
// endpoints. It maps domain errors to statuses in one place (json.go), checks
// authentication and roles per route (auth.go), and records every request in
// the metrics and the JSON log.
package httpapi

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/attach"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/metrics"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/secret"
	"github.com/openlines/openlines/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Server.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// Metrics is the registry the server's counters join and /metrics
	// serves; nil: a new one with the runtime collectors.
	Metrics *prometheus.Registry
	// MetricsToken, when set, must come as a bearer token on /metrics.
	MetricsToken string
	// MetricsElsewhere: /metrics is served on a listener of its own
	// (--metrics-addr), and this handler answers 404 there.
	MetricsElsewhere bool
	// MaxBody bounds request bodies in bytes (default 1 MiB).
	MaxBody int64
	// SecureCookies marks the session cookie Secure (serve behind HTTPS).
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts (default 14 days).
	SessionTTL time.Duration
	Version    string
	// Hub serves operators' WebSockets; Publish sends events that do not
	// come from a transaction (typing) to the bus. Both may be nil in tests
	// that need no real time.
	Hub     *realtime.Hub
	Publish func([]events.Event)
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (for sign-in limits and logs); nil trusts none.
	TrustedProxies []netip.Prefix
	// Web serves the browser application at /; nil serves none.
	Web http.Handler
	// Visitors serves the widget visitors' WebSockets; nil: none.
	Visitors *realtime.Visitors
	// Secrets seals what must be read back (a widget's identity secret)
	// with the server key; nil uses a key that lives as long as the
	// process (tests only: app.Start always gives the server's key).
	Secrets *secret.Box
	// Files keeps the bytes of messages' files; nil: the server takes no
	// files. MaxFile bounds one (default attach.DefaultMaxSize) and
	// FilesQuota a workspace's total (default DefaultFilesQuota).
	Files      attach.Blobs
	MaxFile    int64
	FilesQuota int64
}

// DefaultFilesQuota is a workspace's default total of files: 10 GiB.
const DefaultFilesQuota = 10 << 30

// Route is one registered endpoint with what it asks of the caller, listed
// for the OpenAPI check and the rights matrix test.
type Route struct {
	Method, Path string
	// Public routes need no sign-in; the others need Permission (at any
	// scope) when it is set, and a signed-in user otherwise.
	Public     bool
	Permission access.Permission
	// Raw routes are the operations endpoints outside the API.
	Raw bool
	// ChannelKey routes accept a channel's own key too (its inbound).
	ChannelKey bool
}

// Server is the HTTP face of OpenLines.
type Server struct {
	cfg     Config
	store   *store.Store
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	handler http.Handler

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inbounds *prometheus.CounterVec
	logins   *loginGuard
	auth     *authCache
	// hashSlots bounds concurrent argon2id computations (19 MiB each).
	hashSlots chan struct{}

	widget  widgetLimits
	secrets *secret.Box
	links   *attach.Links // signs customers' links to files

	unavailable *prometheus.CounterVec
	draining    atomic.Bool
}

// Drain marks the server as shutting down: /readyz answers 503 so that a
// load balancer stops sending, and API requests still arriving get 503 with
// Retry-After instead of racing the closing database.
func (s *Server) Drain() { s.draining.Store(true) }

var errDraining = errors.New("draining")

//go:embed openapi.json
var openAPIDoc []byte

// rule says who may call a route: everyone, any signed-in user, or a user
// whose rights hold a permission. Narrower checks (scopes, whose record)
// are the handler's, through the same access.Rights.
type rule struct {
	public bool
	perm   access.Permission
	// channel: a channel key is accepted too (a channel's own inbound).
	channel bool
	// file: the body is a file, as large as Config.MaxFile.
	file bool
}

// upload is the rule for a route whose body is a file.
func (r rule) upload() rule { r.file = true; return r }

var (
	public = rule{public: true}
	member = rule{}
)

func needs(p access.Permission) rule { return rule{perm: p} }

// inboundOf is the rule of a channel's inbound routes: a user with
// channels.connect, or the channel's own key.
var inboundOf = rule{perm: access.ChannelsConnect, channel: true}

// handlerFunc is a route's handler: it returns an error instead of writing one.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal) error

// New builds the server and registers every route.
func New(cfg Config) *Server {
	if cfg.MaxFile <= 0 {
		cfg.MaxFile = attach.DefaultMaxSize
	}
	if cfg.FilesQuota <= 0 {
		cfg.FilesQuota = DefaultFilesQuota
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 14 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, mux: http.NewServeMux(), logins: newLoginGuard(defaultLoginLimits),
		hashSlots: make(chan struct{}, max(2, runtime.NumCPU())), auth: newAuthCache(), widget: newWidgetLimits(), secrets: cfg.Secrets}
	if s.secrets == nil {
		s.secrets = secret.Ephemeral()
	}
	s.links = attach.NewLinks(s.secrets.Derive("file links"))
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openlines_http_requests_total",
		Help: "HTTP requests by route pattern and status."}, []string{"route", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "openlines_http_request_duration_seconds",
		Help: "HTTP request latency by route pattern.", Buckets: metrics.LatencyBuckets}, []string{"route"})
	s.unavailable = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openlines_http_unavailable_total",
		Help: "503 answers by cause (database connection, timeout, busy, shutdown, password hashing)."}, []string{"cause"})
	s.inbounds = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openlines_inbound_messages_total",
		Help: "Customer messages accepted (duplicates not counted), by channel type."}, []string{"channel_type"})
	cfg.Metrics.MustRegister(s.requests, s.latency, s.unavailable, s.inbounds)
	metrics.RegisterDBPools(cfg.Metrics, cfg.Store)

	s.raw("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.raw("GET /readyz", s.readyz)
	metricsHandler := metrics.Handler(cfg.Metrics, cfg.MetricsToken, cfg.Logger)
	s.raw("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if cfg.MetricsElsewhere {
			writeError(w, r, apperr.NotFoundf("metrics are served on the metrics listener (--metrics-addr)"))
			return
		}
		metricsHandler.ServeHTTP(w, r)
	})
	s.raw("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDoc)
	})
	s.registerAPI()
	if cfg.Web != nil {
		s.mux.Handle("GET /{$}", cfg.Web)
		s.mux.Handle("GET /assets/", cfg.Web)
	}

	var h http.Handler = http.HandlerFunc(s.dispatch)
	// CSRF: browsers' cross-origin state-changing requests are refused, which
	// protects cookie sessions; clients without browser headers pass.
	csrf := http.NewCrossOriginProtection()
	// Ratings come from the customer's side (a widget on any site) and carry
	// their own token, never a cookie.
	csrf.AddInsecureBypassPattern("POST /api/v1/ratings/{token}")
	// The widget's routes never read a cookie: a visitor is its bearer
	// token, and the sites that may call them are the channel's (CORS).
	csrf.AddInsecureBypassPattern("POST /widget/v1/")
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, apperr.New(apperr.Forbidden, "cross-origin request refused (CSRF protection)"))
	}))
	h = csrf.Handler(h)
	s.handler = s.observe(h)
	return s
}

// Handler returns the root handler with every middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists the registered endpoints.
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) raw(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: true, Raw: true})
	s.mux.HandleFunc(pattern, h)
}

// handle registers an API route with its access rule: the one table of
// who may call what (the matrix test walks it).
func (s *Server) handle(pattern string, acc rule, h handlerFunc) {
	h = checkInput(pattern, h) // ids.go: path values and query before any handler
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: acc.public, Permission: acc.perm, ChannelKey: acc.channel})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
			writeError(w, r, store.Unavailable(errDraining, store.CauseShutdown))
			return
		}
		limit := s.cfg.MaxBody
		if acc.file {
			limit = s.cfg.MaxFile + 1 // over it, attach.Receive tells the limit
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		p, err := s.authenticate(r, acc)
		if err == nil && p.User.ID != "" {
			if ri, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
				ri.userID = p.User.ID
			}
		}
		if err == nil {
			if !acc.public {
				actor := store.Actor{ID: p.User.ID, Name: p.User.Name}
				if p.Channel != "" {
					actor.Name = "channel " + p.Channel + " (its key)"
				}
				r = r.WithContext(store.WithActor(r.Context(), actor))
			}
			err = h(w, r, p)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

// dispatch routes a request, answering unknown paths and methods in JSON.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		setRoute(r, pattern)
		s.mux.ServeHTTP(w, r) // the mux itself fills in the path values
		return
	}
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		setRoute(r, "method_not_allowed")
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, r, apperr.New(apperr.MethodNotAll, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	setRoute(r, "not_found")
	if s.cfg.Web != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.cfg.Web.ServeHTTP(w, r) // a browser gets the application's 404 page
		return
	}
	writeError(w, r, apperr.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path))
}

type ctxKey int

const (
	keyLogger ctxKey = iota
	keyInfo
)

// reqInfo is filled in as the request goes through the layers.
type reqInfo struct {
	route       string
	unavailable string // the cause of a 503, counted in the metrics
	userID      string // who the request authenticated as, for the log
}

func setRoute(r *http.Request, route string) {
	if ri, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
		ri.route = route
	}
}

func logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, a logger, security headers, recovery
// from panics, a log line and its metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		if s.isHTTPS(r) {
			// Browsers that saw the site over HTTPS never try plain HTTP again.
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		l := s.log.With("request_id", id)
		info := &reqInfo{route: "unmatched"}
		ctx := context.WithValue(context.WithValue(r.Context(), keyLogger, l), keyInfo, info)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				l.Error("panic", "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, r, apperr.New(apperr.Internal, "internal error"))
				}
			}
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			d := time.Since(start)
			s.requests.WithLabelValues(info.route, strconv.Itoa(sw.status)).Inc()
			if info.unavailable != "" {
				s.unavailable.WithLabelValues(info.unavailable).Inc()
			}
			s.latency.WithLabelValues(info.route).Observe(d.Seconds())
			l.Info("request", "method", r.Method, "path", r.URL.Path, "route", info.route, "client_ip", s.clientIP(r),
				"user_id", info.userID, "status", sw.status, "bytes", sw.bytes, "duration_ms", float64(d.Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, r, store.Unavailable(errDraining, store.CauseShutdown))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeError(w, r, &apperr.Error{Code: apperr.Unavailable, Message: "the database is not reachable", Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": s.store.Engine()})
}
