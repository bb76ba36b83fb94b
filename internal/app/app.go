// Package app is the composition root: it opens the store, creates the first
// workspace and administrator on a fresh database, builds the HTTP server,
// serves, and shuts everything down cleanly.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/attach"
	channelapi "github.com/openlines/openlines/internal/channel/api"
	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/delivery"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/metrics"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/secret"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/web"
	"github.com/openlines/openlines/internal/workspace"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is everything `openlines serve` can be told.
type Config struct {
	DB              string
	Addr            string
	Plan            workspace.Plan
	AdminEmail      string
	AdminPassword   string
	MaxBody         int64
	SecureCookies   bool
	ShutdownTimeout time.Duration
	Version         string
	// TrustedProxies: reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// SecretKeyFile holds the server key that seals secrets at rest
	// (SecretKeyPath: beside a SQLite database by default).
	SecretKeyFile string
	// FilesDir keeps the bytes of messages' files (FilesPath by default);
	// MaxFile bounds one file and FilesQuota a workspace's total (0: the
	// defaults, 20 MiB and 10 GiB).
	FilesDir   string
	MaxFile    int64
	FilesQuota int64
	// MetricsAddr, when set, is the admin listener's address: /metrics
	// (and pprof with Profiling) are served there and not on Addr.
	MetricsAddr string
	// MetricsToken, when set, is the bearer token /metrics (and pprof) ask for.
	MetricsToken string
	// Profiling serves net/http/pprof on the admin listener (needs MetricsAddr).
	Profiling bool
	// TLSCert and TLSKey, both set, serve HTTPS directly (PEM files,
	// re-read when they change); session cookies are then Secure.
	TLSCert, TLSKey string
}

// Bootstrap creates, on a database without users, a workspace and its first
// administrator (also the server administrator). The password comes from the
// config or is generated; it is returned so that it can be shown once.
// created is false when the database already had users.
func Bootstrap(ctx context.Context, st *store.Store, cfg Config) (email, password string, created bool, err error) {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", "", false, err
	}
	email, password = cfg.AdminEmail, cfg.AdminPassword
	if email == "" {
		email = "admin@localhost"
	}
	if email, err = user.NormalizeEmail(email); err != nil {
		return "", "", false, fmt.Errorf("admin e-mail: %w", err)
	}
	if password == "" {
		password = GeneratePassword()
	} else if err := user.ValidatePassword(password); err != nil {
		return "", "", false, fmt.Errorf("admin password: %w", err)
	}
	hash, err := user.HashPassword(password)
	if err != nil {
		return "", "", false, err
	}
	ws, err := st.CreateWorkspace(ctx, "My company", cfg.Plan)
	if err != nil {
		return "", "", false, err
	}
	_, err = st.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: email, Name: "Administrator", Role: user.Administrator,
		Active: true, ServerAdmin: true, PasswordHash: hash})
	return email, password, err == nil, err
}

// GeneratePassword returns a random 20-character password without
// look-alike characters (no 0/O, 1/l/I).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// Stack is a running OpenLines without its listener: the store, the event
// bus, the routing engine, the real-time hub and the HTTP handler. Serve
// puts it behind a listener; end-to-end tests behind httptest.
type Stack struct {
	Store   *store.Store
	Bus     *events.Local
	Engine  *routing.Engine
	Hub     *realtime.Hub
	Handler http.Handler
	API     *httpapi.Server
	// Metrics is the registry /metrics serves (on the main listener, or
	// on --metrics-addr's).
	Metrics *prometheus.Registry
	stop    func()
}

// StackOptions tune a Stack.
type StackOptions struct {
	Logger         *slog.Logger
	Clock          clock.Clock // nil: the real clock
	MaxBody        int64
	SecureCookies  bool
	Version        string
	TrustedProxies []netip.Prefix
	SecretKeyFile  string // "": SecretKeyPath(dsn)
	FilesDir       string // "": FilesPath(dsn)
	MaxFile        int64
	FilesQuota     int64
	// MetricsToken guards /metrics with a bearer token; MetricsElsewhere
	// moves it off the main handler (to --metrics-addr's listener).
	MetricsToken     string
	MetricsElsewhere bool
}

// SecretKeyPath is where the server key lives when no file is named: beside
// a SQLite database (backing up the directory keeps both; the database
// alone does not carry the secrets), or for PostgreSQL in the user's
// configuration directory — every node of a cluster must be given the
// same file with --secret-key-file.
func SecretKeyPath(dsn string) string { return besideDB(dsn, "secret.key") }

// FilesPath is where messages' files are kept when no directory is named:
// beside a SQLite database (so a backup of the directory has them), or for
// PostgreSQL in the user's configuration directory — the nodes of a
// cluster must share one directory (--files-dir on a shared volume).
func FilesPath(dsn string) string { return besideDB(dsn, "files") }

// besideDB names a file beside a SQLite database, or in the user's
// configuration directory for PostgreSQL.
func besideDB(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		dir, err := os.UserConfigDir()
		if err != nil {
			dir = "."
		}
		return filepath.Join(dir, "openlines", name)
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return filepath.Join(filepath.Dir(path), name)
}

// Start opens the database named by dsn and starts the routing engine.
func Start(ctx context.Context, dsn string, o StackOptions) (*Stack, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	keyFile := o.SecretKeyFile
	if keyFile == "" {
		keyFile = SecretKeyPath(dsn)
	}
	box, created, err := secret.LoadOrCreate(keyFile)
	if err != nil {
		return nil, fmt.Errorf("the server key (%s): %w", keyFile, err)
	}
	if created {
		o.Logger.Info("created the server key that seals secrets at rest; keep it with the database's backups", "file", keyFile)
	}
	filesDir := o.FilesDir
	if filesDir == "" {
		filesDir = FilesPath(dsn)
	}
	files, err := attach.NewDir(filesDir)
	if err != nil {
		return nil, err
	}
	bus := events.NewLocal()
	st, err := store.Open(ctx, dsn, store.Options{Clock: o.Clock, OnCommit: bus.Publish})
	if err != nil {
		return nil, err
	}
	engine := routing.NewEngine(st, o.Clock, o.Logger)
	unsubEngine := bus.Subscribe(engine.OnEvents)
	hub := realtime.NewHub(realtime.Options{Log: o.Logger, Publish: bus.Publish, Touch: func(ctx context.Context, ms []realtime.Member) error {
		refs := make([]store.UserRef, len(ms))
		for i, m := range ms {
			refs[i] = store.UserRef{UserID: m.UserID, WorkspaceID: m.WorkspaceID}
		}
		return st.TouchPresence(ctx, refs)
	}})
	unsubHub := bus.Subscribe(hub.OnEvents)
	visitors := realtime.NewVisitors(o.Logger)
	engineCtx, stopEngine := context.WithCancel(context.Background())
	engineDone := make(chan struct{})
	go func() { engine.Run(engineCtx); close(engineDone) }()
	reg := metrics.NewRegistry()
	metrics.RegisterBuildInfo(reg, o.Version, st.Engine())
	flow := metrics.NewFlow(reg)
	unsubFlow := bus.Subscribe(flow.OnEvents)
	reg.MustRegister(&metrics.Business{Counts: st.OpsCounts, Operators: hub.Connections, Widgets: visitors.Connections, Log: o.Logger})
	// Each channel kind's package brings the sender of its outbound.
	outbox := delivery.New(st, delivery.Options{Clock: o.Clock, Logger: o.Logger, Observe: flow.Delivered, Senders: map[string]delivery.Sender{
		channelapi.Type: channelapi.Sender,
		widget.Type:     widget.Sender,
	}})
	unsubOutbox := bus.Subscribe(outbox.OnEvents)
	outboxDone := make(chan struct{})
	go func() { outbox.Run(engineCtx); close(outboxDone) }()
	api := httpapi.New(httpapi.Config{Store: st, Logger: o.Logger, MaxBody: o.MaxBody, SecureCookies: o.SecureCookies, Version: o.Version,
		TrustedProxies: o.TrustedProxies, Hub: hub, Publish: bus.Publish, Web: web.Handler(), Visitors: visitors, Secrets: box,
		Files: files, MaxFile: o.MaxFile, FilesQuota: o.FilesQuota,
		Metrics: reg, MetricsToken: o.MetricsToken, MetricsElsewhere: o.MetricsElsewhere})
	unsubAPI := bus.Subscribe(api.OnEvents)
	unsubVisitors := bus.Subscribe(visitors.OnEvents)
	return &Stack{Store: st, Bus: bus, Engine: engine, Hub: hub, Handler: api.Handler(), API: api, Metrics: reg, stop: func() {
		hub.Close()
		visitors.Close()
		unsubVisitors()
		stopEngine()
		<-engineDone // before the store closes
		<-outboxDone
		unsubOutbox()
		unsubFlow()
		unsubAPI()
		unsubHub()
		unsubEngine()
		st.Close()
	}}, nil
}

// Close stops the engine and closes the store.
func (s *Stack) Close() { s.stop() }

// Serve runs the server until ctx is cancelled, then drains requests and
// closes the database. What a person needs to read (the URL, a first-run
// password) goes to out; logs go to log.
func Serve(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) error {
	return run(ctx, cfg, out, log, func(ctx context.Context, st *Stack, url string) (string, error) {
		email, password, created, err := Bootstrap(ctx, st.Store, cfg)
		if err != nil || !created {
			return "", err
		}
		banner := fmt.Sprintf("First run: created the administrator\n  e-mail:   %s\n", email)
		if cfg.AdminPassword == "" {
			banner += fmt.Sprintf("  password: %s\n  (generated: it is shown only this once; change it after signing in)\n", password)
		} else {
			// A password the operator chose is not echoed: stdout often ends
			// up in a log or a terminal scrollback.
			banner += "  password: the one given by --admin-password (OPENLINES_ADMIN_PASSWORD)\n"
		}
		return banner, nil
	})
}

// run starts the stack, listens, calls ready (which may start more work
// bound to ctx and returns what to print under the URL), serves until ctx
// ends and shuts down cleanly. The URL is printed once the server is ready.
func run(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger, ready func(ctx context.Context, st *Stack, url string) (string, error)) error {
	var certs *certFiles
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		var err error
		if certs, err = loadCertFiles(cfg.TLSCert, cfg.TLSKey); err != nil {
			return err
		}
		cfg.SecureCookies = true
	}
	stack, err := Start(ctx, cfg.DB, StackOptions{Logger: log, MaxBody: cfg.MaxBody, SecureCookies: cfg.SecureCookies, Version: cfg.Version, TrustedProxies: cfg.TrustedProxies,
		SecretKeyFile: cfg.SecretKeyFile, FilesDir: cfg.FilesDir, MaxFile: cfg.MaxFile, FilesQuota: cfg.FilesQuota,
		MetricsToken: cfg.MetricsToken, MetricsElsewhere: cfg.MetricsAddr != ""})
	if err != nil {
		return err
	}
	defer stack.Close()
	if cfg.MetricsAddr != "" {
		aln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (--metrics-addr): %w", cfg.MetricsAddr, err)
		}
		admin := &http.Server{Handler: adminHandler(stack.Metrics, cfg.MetricsToken, cfg.Profiling, log), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go admin.Serve(aln)
		defer admin.Close()
		log.Info("admin listener", "url", "http://"+displayAddr(aln.Addr().String())+"/metrics", "profiling", cfg.Profiling)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           stack.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if certs != nil {
		srv.TLSConfig = certs.tlsConfig()
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no HTTP/2 (tls.go)
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr().String())
	// Bootstrap before serving: nothing, not even /healthz, answers before
	// the first administrator exists. The port is already bound, so early
	// clients wait in the listen backlog instead of being refused.
	banner, err := ready(ctx, stack, url)
	if err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(out, "OpenLines %s (%s database) is running at %s\n%s", cfg.Version, stack.Store.Engine(), url, banner)
	log.Info("serving", "url", url, "database", stack.Store.Engine())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	stack.API.Drain() // /readyz answers 503 from now on; new API requests get 503 with Retry-After
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// WebSockets are hijacked: Shutdown does not wait for them; the hub
	// closes them when the stack closes.
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("stopped")
	return nil
}

// displayAddr turns a listener address into one a browser can open.
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
