// Command openlines is the OpenLines contact center: one binary that serves
// the API on an embedded SQLite database or on PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // line time zones work on machines without zoneinfo

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// version may be set at build time with -ldflags "-X main.version=…";
// otherwise it is the module version or VCS revision the Go toolchain
// stamped into the binary (see buildVersion).
var version = ""

// buildVersion is the version to report: the -ldflags one, else the main
// module's version (set by `go install …@v1.2.3`), else the VCS revision
// (`go build` in a git checkout), else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev != "" {
		if modified == "true" {
			rev += "-dirty"
		}
		return rev
	}
	return "dev"
}

const usage = `OpenLines — an open-source omnichannel contact center.

Usage: openlines <command> [flags]

Commands:
  serve                 run the server (SQLite under ./data by default)
  demo                  run the server with a demo workspace and simulated customers
  migrate               apply database migrations and exit
  backup                copy a running server's SQLite database to a file
  restore               put a backup in place of a SQLite database
  user add              add a user to a workspace
  workspace create      create a workspace and its first administrator
  workspace set-plan    change a workspace's plan
  workspace set-timezone  set the time zone a workspace's statistics count days in
  stats rebuild         recompute the statistics from the history
  simulate              simulate a line (queueing model) to size a team
  bench                 drive a running server through its API and measure it
  healthcheck           exit 0 when a running server answers /readyz (for containers)
  version               print the version
  help <command>        print a command's flags

Every flag has an environment twin. serve's are OPENLINES_<FLAG>
(--max-body is OPENLINES_MAX_BODY), and --db is OPENLINES_DB for every
command on the server's database; the other commands' twins carry the
command's name: user add --password is OPENLINES_USER_ADD_PASSWORD.
Run "openlines help <command>" or "openlines <command> -h" for its flags.
`

// groups are the commands made of two words.
var groups = map[string][]string{
	"user":      {"add"},
	"workspace": {"create", "set-plan", "set-timezone"},
	"stats":     {"rebuild"},
}

func groupUsage(g string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: openlines %s <command> [flags]\n\nCommands:\n", g)
	for _, c := range groups[g] {
		fmt.Fprintf(&b, "  openlines %s %s\n", g, c)
	}
	fmt.Fprintf(&b, "\nRun \"openlines help %s <command>\" for its flags.\n", g)
	return b.String()
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	var newer *store.NewerSchemaError
	if errors.As(err, &newer) {
		err = fmt.Errorf("%w [this binary: openlines %s]", err, buildVersion())
	}
	fmt.Fprintln(os.Stderr, "openlines:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErr("no command given")
	}
	cmd, rest := args[0], args[1:]
	if _, ok := groups[cmd]; ok {
		if len(rest) == 0 {
			fmt.Fprint(stderr, groupUsage(cmd))
			return usageErr("%s: no command given", cmd)
		}
		if isHelp(rest[0]) {
			fmt.Fprint(stdout, groupUsage(cmd))
			return nil
		}
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "backup":
		return backup(ctx, rest, stdout, stderr)
	case "restore":
		return restore(ctx, rest, stdout, stderr)
	case "user add":
		return userAdd(ctx, rest, stdout, stderr)
	case "workspace create":
		return workspaceCreate(ctx, rest, stdout, stderr)
	case "workspace set-plan":
		return workspaceSetPlan(ctx, rest, stdout, stderr)
	case "workspace set-timezone":
		return workspaceSetTimezone(ctx, rest, stdout, stderr)
	case "stats rebuild":
		return statsRebuild(ctx, rest, stdout, stderr)
	case "demo":
		return demo(ctx, rest, stdout, stderr)
	case "simulate":
		return simulate(ctx, rest, stdout, stderr)
	case "bench":
		return bench(ctx, rest, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		if len(rest) > 0 && isHelp(rest[0]) {
			fmt.Fprintln(stdout, "Usage: openlines version\n\nPrints the version: the module version or the VCS revision the binary was built from.")
			return nil
		}
		fmt.Fprintln(stdout, "openlines", buildVersion())
		return nil
	case "help", "-h", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if _, ok := groups[rest[0]]; ok && len(rest) == 1 {
			fmt.Fprint(stdout, groupUsage(rest[0]))
			return nil
		}
		if rest[0] == "help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
		// The command's own -h, its flags printed to stdout.
		err := run(ctx, append(append([]string{}, rest...), "-h"), stdout, stdout)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	fmt.Fprint(stderr, usage)
	return usageErr("unknown command %q", cmd)
}

// newFlags makes a flag set for a command; parse applies the environment.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("openlines "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envName is the environment twin of a command's flag. serve's options
// are OPENLINES_<FLAG> (max-body → OPENLINES_MAX_BODY), and so is the
// database path of every command that works on the server's database, so
// that one OPENLINES_DB serves them all. Every other command's twins carry
// the command's name (user add --password → OPENLINES_USER_ADD_PASSWORD):
// a variable exported for the server must not leak into `user add` or
// `workspace set-plan`. demo has a database of its own (OPENLINES_DEMO_DB):
// OPENLINES_DB, which names the real one, must not seed the demo into it.
func envName(cmd, flagName string) string {
	upper := func(s string) string { return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(s)) }
	cmd = strings.TrimPrefix(cmd, "openlines ")
	if cmd == "serve" || (flagName == "db" && cmd != "demo") {
		return "OPENLINES_" + upper(flagName)
	}
	return "OPENLINES_" + upper(cmd) + "_" + upper(flagName)
}

// parse parses the command line, then fills every flag not given there from
// its environment twin. A bad value names the option and exits with code 2.
func parse(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " (env " + envName(fs.Name(), f.Name) + ")" })
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(fs.Name(), f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageErr("invalid value %q for %s (--%s): %v", v, envName(fs.Name(), f.Name), f.Name, e)
			}
		}
	})
	return err
}

// planFlag validates the value of a --plan flag.
func planFlag(v string) (workspace.Plan, error) {
	p, err := workspace.ParsePlan(v)
	if err != nil {
		return "", usageErr("--plan: %q is not one of free, basic, standard, professional, enterprise", v)
	}
	return p, nil
}

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "./data/openlines.db", "database: a SQLite file path or a postgres:// URL")
}

func openStore(ctx context.Context, dsn string) (*store.Store, error) {
	if dsn == "" {
		return nil, usageErr("--db: must not be empty")
	}
	return store.Open(ctx, dsn, store.Options{})
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageErr("--log-format: %q is not one of json, text", format)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfg := app.Config{Version: buildVersion()}
	db := dbFlag(fs)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address host:port")
	plan := fs.String("plan", string(workspace.Enterprise), "plan of the workspace created on first start")
	fs.StringVar(&cfg.AdminEmail, "admin-email", "", "e-mail of the administrator created on first start (default admin@localhost)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "password of the administrator created on first start (default: generated and printed once)")
	fs.Int64Var(&cfg.MaxBody, "max-body", 1<<20, "largest accepted request body in bytes")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark session cookies Secure (when served over HTTPS)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long a stop waits for requests in flight")
	fs.StringVar(&cfg.SecretKeyFile, "secret-key-file", "", "file of the server key that seals secrets at rest, created on first run (default: secret.key beside a SQLite database; for PostgreSQL in the user's config directory — give every node the same file)")
	fs.StringVar(&cfg.FilesDir, "files-dir", "", "directory of the files customers and operators send (default: files beside a SQLite database; for PostgreSQL in the user's config directory — nodes of a cluster share one)")
	fs.Int64Var(&cfg.MaxFile, "max-file-size", 20<<20, "largest file a customer or an operator may send, in bytes")
	fs.Int64Var(&cfg.FilesQuota, "files-quota", 10<<30, "total bytes of files a workspace may keep")
	proxies := fs.String("trusted-proxies", "", "comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS on --addr (with --tls-key; re-read when it changes)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve /metrics (and pprof with --pprof) on this host:port instead of --addr (default: /metrics on --addr)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token /metrics (and pprof) require (default: none)")
	fs.BoolVar(&cfg.Profiling, "pprof", false, "serve net/http/pprof under /debug/pprof/ on the --metrics-addr listener")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.DB = *db
	var perr error
	if cfg.TrustedProxies, perr = httpapi.ParseTrustedProxies(*proxies); perr != nil {
		return usageErr("--trusted-proxies: %v", perr)
	}
	var err error
	if cfg.Plan, err = planFlag(*plan); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return usageErr("--addr: %q is not host:port: %v", cfg.Addr, err)
	}
	if cfg.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.MetricsAddr); err != nil {
			return usageErr("--metrics-addr: %q is not host:port: %v", cfg.MetricsAddr, err)
		}
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return usageErr("--tls-cert and --tls-key: give both or neither")
	}
	if cfg.Profiling && cfg.MetricsAddr == "" {
		return usageErr("--pprof: needs --metrics-addr (profiles are never served on the main listener)")
	}
	if cfg.MaxBody < 1024 || cfg.MaxBody > 1<<30 {
		return usageErr("--max-body: %d is out of range 1024..%d", cfg.MaxBody, 1<<30)
	}
	if cfg.MaxFile < 1024 || cfg.MaxFile > 1<<32 {
		return usageErr("--max-file-size: %d is out of range 1024..%d", cfg.MaxFile, int64(1)<<32)
	}
	if cfg.FilesQuota < cfg.MaxFile {
		return usageErr("--files-quota: %d is less than --max-file-size %d", cfg.FilesQuota, cfg.MaxFile)
	}
	if cfg.ShutdownTimeout <= 0 {
		return usageErr("--shutdown-timeout: must be positive")
	}
	if cfg.DB == "" {
		return usageErr("--db: must not be empty")
	}
	if cfg.AdminEmail != "" {
		if _, err := user.NormalizeEmail(cfg.AdminEmail); err != nil {
			return usageErr("--admin-email: %q is not a valid e-mail address", cfg.AdminEmail)
		}
	}
	if cfg.AdminPassword != "" {
		if err := user.ValidatePassword(cfg.AdminPassword); err != nil {
			return usageErr("--admin-password: must be at least 8 characters")
		}
	}
	log, err := newLogger(*logFormat, *logLevel, stderr)
	if err != nil {
		return err
	}
	return app.Serve(ctx, cfg, stdout, log)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	db := dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db) // opening applies pending migrations
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database is at schema version %d\n", st.Engine(), v)
	return nil
}

// openWorkspace opens the store and finds the workspace named by id, or
// the only one. The caller closes the store.
func openWorkspace(ctx context.Context, dsn, id string) (*store.Store, workspace.Workspace, error) {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return nil, workspace.Workspace{}, err
	}
	ws, err := pickWorkspace(ctx, st, id)
	if err != nil {
		st.Close()
		return nil, ws, err
	}
	return st, ws, nil
}

// pickWorkspace returns the workspace named by id, or the only one.
func pickWorkspace(ctx context.Context, st *store.Store, id string) (workspace.Workspace, error) {
	if id != "" {
		return st.GetWorkspace(ctx, id)
	}
	all, err := st.ListWorkspaces(ctx)
	if err != nil {
		return workspace.Workspace{}, err
	}
	if len(all) != 1 {
		return workspace.Workspace{}, usageErr("--workspace: the server has %d workspaces; name one by id", len(all))
	}
	return all[0], nil
}

func userAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user add", stderr)
	db := dbFlag(fs)
	wsID := fs.String("workspace", "", "workspace id (may be omitted when there is one workspace)")
	email := fs.String("email", "", "e-mail (required)")
	name := fs.String("name", "", "display name (required)")
	password := fs.String("password", "", "password, at least 8 characters (required)")
	role := fs.String("role", string(user.Manager), "role: administrator, director or manager")
	serverAdmin := fs.Bool("server-admin", false, "also make the user a server administrator")
	if err := parse(fs, args); err != nil {
		return err
	}
	u := user.User{Active: true, ServerAdmin: *serverAdmin}
	var err error
	if u.Email, err = user.NormalizeEmail(*email); err != nil {
		return usageErr("--email: %v", err)
	}
	if u.Name, err = user.ValidateName(*name); err != nil {
		return usageErr("--name: %v", err)
	}
	if u.Role, err = user.ParseRole(*role); err != nil {
		return usageErr("--role: %q is not one of administrator, director, manager", *role)
	}
	if err := user.ValidatePassword(*password); err != nil {
		return usageErr("--password: must be at least 8 characters")
	}
	if u.PasswordHash, err = user.HashPassword(*password); err != nil {
		return err
	}
	st, ws, err := openWorkspace(ctx, *db, *wsID)
	if err != nil {
		return err
	}
	defer st.Close()
	u.WorkspaceID = ws.ID
	if u, err = st.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s, %s) in workspace %s\n", u.ID, u.Email, u.Role, ws.ID)
	return nil
}

func workspaceCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace create", stderr)
	db := dbFlag(fs)
	name := fs.String("name", "", "workspace name (required)")
	plan := fs.String("plan", string(workspace.Free), "plan: free, basic, standard, professional or enterprise")
	adminEmail := fs.String("admin-email", "", "e-mail of the workspace's first administrator (without it the workspace has none)")
	adminName := fs.String("admin-name", "Administrator", "display name of the first administrator")
	adminPassword := fs.String("admin-password", "", "password of the first administrator, at least 8 characters (default: generated and printed once)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageErr("--name: is required")
	}
	p, err := planFlag(*plan)
	if err != nil {
		return err
	}
	var admin user.User
	password, generated := *adminPassword, false
	if *adminEmail != "" {
		admin = user.User{Active: true, Role: user.Administrator}
		if admin.Email, err = user.NormalizeEmail(*adminEmail); err != nil {
			return usageErr("--admin-email: %v", err)
		}
		if admin.Name, err = user.ValidateName(*adminName); err != nil {
			return usageErr("--admin-name: %v", err)
		}
		if password == "" {
			password, generated = app.GeneratePassword(), true
		} else if err := user.ValidatePassword(password); err != nil {
			return usageErr("--admin-password: must be at least 8 characters")
		}
		if admin.PasswordHash, err = user.HashPassword(password); err != nil {
			return err
		}
	} else if password != "" {
		return usageErr("--admin-password: needs --admin-email")
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if admin.Email != "" {
		// Checked before the workspace exists, so that a taken e-mail does
		// not leave a workspace without its administrator behind.
		if _, err := st.UserByEmail(ctx, admin.Email); err == nil {
			return usageErr("--admin-email: %s is already used", admin.Email)
		}
	}
	ws, err := st.CreateWorkspace(ctx, strings.TrimSpace(*name), p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created workspace %s (%s, plan %s)\n", ws.ID, ws.Name, ws.Plan)
	if admin.Email == "" {
		fmt.Fprintf(stdout, "it has no administrator yet; add one with: openlines user add --workspace %s --role administrator ...\n", ws.ID)
		return nil
	}
	admin.WorkspaceID = ws.ID
	if admin, err = st.CreateUser(ctx, admin); err != nil {
		return fmt.Errorf("workspace %s was created, its administrator not: %w", ws.ID, err)
	}
	fmt.Fprintf(stdout, "created administrator %s (%s)\n", admin.Email, admin.ID)
	if generated {
		fmt.Fprintf(stdout, "  password: %s\n  (generated: it is shown only this once; change it after signing in)\n", password)
	}
	return nil
}

func workspaceSetPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace set-plan", stderr)
	db := dbFlag(fs)
	wsID := fs.String("workspace", "", "workspace id (may be omitted when there is one workspace)")
	plan := fs.String("plan", "", "new plan: free, basic, standard, professional or enterprise (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := planFlag(*plan)
	if err != nil {
		return err
	}
	st, ws, err := openWorkspace(ctx, *db, *wsID)
	if err != nil {
		return err
	}
	defer st.Close()
	off, err := st.SetPlan(ctx, ws.ID, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "workspace %s is now on the %s plan", ws.ID, p)
	if len(off) > 0 {
		fmt.Fprintf(stdout, "; deactivated %d line(s) beyond its limit: %s", len(off), strings.Join(off, ", "))
	}
	fmt.Fprintln(stdout)
	return nil
}

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	cfg := app.Config{Version: buildVersion(), MaxBody: 1 << 20, ShutdownTimeout: 5 * time.Second, Plan: workspace.Enterprise}
	fs.StringVar(&cfg.DB, "db", "./data/demo.db", "database: a SQLite file path or a postgres:// URL")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address host:port")
	pace := fs.Duration("pace", 8*time.Second, "average time between two customer messages")
	fs.StringVar(&cfg.SecretKeyFile, "secret-key-file", "", "file of the server key that seals secrets at rest (default: secret.key beside a SQLite database)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return usageErr("--addr: %q is not host:port: %v", cfg.Addr, err)
	}
	if *pace < 100*time.Millisecond || *pace > time.Hour {
		return usageErr("--pace: %v is out of range 100ms..1h", *pace)
	}
	log, err := newLogger("text", "warn", stderr)
	if err != nil {
		return err
	}
	return app.Demo(ctx, cfg, stdout, log, *pace)
}
