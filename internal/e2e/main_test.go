package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // only to make and drop a schema per test
)

// binary is the openlines executable built once by TestMain.
var binary string

// Every server of the suite starts its workspace with this administrator
// (given through the environment twins of --admin-email/--admin-password).
const (
	adminEmail    = "admin@e2e.test"
	adminPassword = "e2e-admin-password"
)

// EnvBinary names a prebuilt openlines to test instead of building one
// (a release binary, or an older commit to see what the suite catches).
const EnvBinary = "OPENLINES_E2E_BINARY"

func TestMain(m *testing.M) {
	if b := os.Getenv(EnvBinary); b != "" {
		binary, _ = filepath.Abs(b)
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "openlines-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openlines")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	build := exec.Command(goTool, "build", "-o", binary, "github.com/openlines/openlines/cmd/openlines")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/openlines: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// inCI reports whether missing prerequisites must fail instead of skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// missing fails (under CI) or skips (locally) a test whose prerequisite is absent.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("CI=true and a prerequisite is missing: %s", msg)
	}
	t.Skipf("SKIPPED (not a pass): %s; set CI=true to make this a failure", msg)
}

// forEachEngine runs f once on a fresh SQLite file and once on a fresh
// schema of the PostgreSQL test database; side by side when parallel (for
// tests that mostly wait on timers, not for load tests on two cores).
func forEachEngine(t *testing.T, parallel bool, f func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) {
		if parallel {
			t.Parallel()
		}
		f(t, filepath.Join(t.TempDir(), "openlines.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		if parallel {
			t.Parallel()
		}
		f(t, postgresSchema(t))
	})
}

// EnvPostgres names the PostgreSQL test DSN, as for every suite.
const EnvPostgres = "OPENLINES_TEST_POSTGRES"

// postgresSchema returns a DSN of a new, empty schema of the PostgreSQL
// test database, dropped when the test ends (after its servers, which
// are cleaned up first).
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		missing(t, "%s is not set, so the PostgreSQL half of this test did not run", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create a schema in %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// server is one openlines process, started again on the same database
// after a kill. Its output (all runs) is kept and shown when a test fails.
type server struct {
	t    *testing.T
	name string
	db   string
	log  *logBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current process has exited
	url    string
	runs   int
}

// startServer starts `openlines serve` on db and waits until it serves.
func startServer(t *testing.T, name, db string) *server {
	t.Helper()
	s := &server{t: t, name: name, db: db, log: &logBuffer{}}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("output of %s (stdout and stderr, every run; last 48 KiB):\n%s", s.name, s.log.tail(48<<10))
		}
	})
	s.start()
	return s
}

var runningAt = regexp.MustCompile(`is running at (http://\S+)`)

// start runs the binary (again) and waits for it to print its URL.
func (s *server) start() {
	s.t.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		s.t.Fatalf("%s: start while running", s.name)
	}
	s.runs++
	run := s.runs
	urls := make(chan string, 1)
	out := &lineWriter{f: func(line string) {
		s.log.printf("[%s run %d stdout] %s\n", s.name, run, line)
		if m := runningAt.FindStringSubmatch(line); m != nil {
			select {
			case urls <- m[1]:
			default:
			}
		}
	}}
	errw := &lineWriter{f: func(line string) { s.log.printf("[%s run %d] %s\n", s.name, run, line) }}
	// A port of its own: the server binds 127.0.0.1:0 and prints the URL.
	cmd := exec.Command(binary, "serve", "--db", s.db, "--addr", "127.0.0.1:0",
		"--log-format", "text", "--log-level", "warn", "--shutdown-timeout", "2s")
	cmd.Env = append(cleanEnv(), "OPENLINES_ADMIN_EMAIL="+adminEmail, "OPENLINES_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = out, errw
	cmd.SysProcAttr = childAttr(nil)
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("%s: start: %v", s.name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		out.flush()
		errw.flush()
		s.log.printf("[%s run %d] process exited: %v\n", s.name, run, err)
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	select {
	case u := <-urls:
		s.mu.Lock()
		s.url = u
		s.mu.Unlock()
	case <-exited:
		s.forget(exited)
		s.t.Fatalf("%s run %d exited before serving:\n%s", s.name, run, s.log.tail(8<<10))
	case <-time.After(60 * time.Second):
		s.t.Fatalf("%s run %d did not print its URL within 60 s", s.name, run)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(s.URL() + "/healthz")
	if err != nil {
		s.t.Fatalf("%s run %d: /healthz: %v", s.name, run, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("%s run %d: /healthz answered %d", s.name, run, res.StatusCode)
	}
}

func (s *server) forget(exited chan struct{}) {
	s.mu.Lock()
	if s.exited == exited {
		s.cmd, s.exited = nil, nil
	}
	s.mu.Unlock()
}

// URL is the base URL of the current run.
func (s *server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// pid is the current process id, 0 when not running.
func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// kill sends SIGKILL (no shutdown, no WAL checkpoint, batches cut) and
// waits for the process to be gone.
func (s *server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		s.t.Errorf("%s: process %d still there 10 s after SIGKILL", s.name, cmd.Process.Pid)
	}
	s.forget(exited)
}

// wantAlive fails the test if the process has exited by itself.
func (s *server) wantAlive(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	if exited == nil {
		t.Fatalf("%s is not running", s.name)
	}
	select {
	case <-exited:
		t.Fatalf("%s exited by itself:\n%s", s.name, s.log.tail(8<<10))
	default:
	}
}

// cleanEnv is the test's environment without any OPENLINES_ setting, so
// that only what a test passes configures the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENLINES_") {
			env = append(env, kv)
		}
	}
	return env
}

// logBuffer collects the output of processes, safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) printf(format string, args ...any) {
	b.mu.Lock()
	fmt.Fprintf(&b.buf, format, args...)
	b.mu.Unlock()
}

// tail returns the last n bytes.
func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// lineWriter calls f with every complete line written to it.
type lineWriter struct {
	mu      sync.Mutex
	partial []byte
	f       func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.f(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.f(string(w.partial))
		w.partial = nil
	}
}

// eventually polls cond every interval until it holds or timeout passes.
// cond returns whether it holds and what it saw, for the failure message.
func eventually(t *testing.T, timeout, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last seen: %s", what, timeout, saw)
		}
		time.Sleep(interval)
	}
}

// sleepUntil sleeps until at (a bounded wait: callers compute at from
// settings of a few seconds).
func sleepUntil(ctx context.Context, at time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(at)):
	}
}
