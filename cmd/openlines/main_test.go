package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openlines-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "openlines")
	// -buildvcs=auto: stamp the VCS revision (TestVersion) even where
	// GOFLAGS says -buildvcs=false.
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestServeFirstRun starts the real binary on a fresh directory, waits for
// /readyz, signs in with the printed administrator, and stops it with SIGTERM.
func TestServeFirstRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		dir := t.TempDir()
		args := []string{"serve", "--addr", "127.0.0.1:0"}
		if engine != "sqlite" {
			args = append(args, "--db", storetest.DSN(t, engine))
		}
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "OPENLINES_ADMIN_EMAIL=", "OPENLINES_ADMIN_PASSWORD=", "OPENLINES_LOG_FORMAT=text")
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()

		lines := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var url, email, password string
		deadline := time.After(30 * time.Second)
		for url == "" || password == "" {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("server exited early; stderr:\n%s", stderr.String())
				}
				if m := regexp.MustCompile(`running at (http://\S+)`).FindStringSubmatch(l); m != nil {
					url = m[1]
				}
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "e-mail:"); ok {
					email = strings.TrimSpace(v)
				}
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "password:"); ok {
					password = strings.TrimSpace(v)
				}
			case <-deadline:
				t.Fatalf("no URL and password printed; stderr:\n%s", stderr.String())
			}
		}
		if email != "admin@localhost" || len(password) < 16 {
			t.Fatalf("printed admin %q / %q", email, password)
		}
		if engine == "sqlite" {
			if _, err := os.Stat(filepath.Join(dir, "data", "openlines.db")); err != nil {
				t.Fatalf("default database not under ./data: %v", err)
			}
		}
		res, err := http.Get(url + "/readyz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("readyz: %v %v", res, err)
		}
		res.Body.Close()

		body, _ := json.Marshal(map[string]string{"email": email, "password": password})
		res, err = http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || len(res.Cookies()) == 0 {
			t.Fatalf("login with the printed password: %d", res.StatusCode)
		}
		req, _ := http.NewRequest("GET", url+"/api/v1/me", nil)
		req.AddCookie(res.Cookies()[0])
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me struct {
			User struct {
				Role        string `json:"role"`
				ServerAdmin bool   `json:"server_admin"`
			} `json:"user"`
			Workspace struct {
				Plan string `json:"plan"`
			} `json:"workspace"`
		}
		json.NewDecoder(res.Body).Decode(&me)
		res.Body.Close()
		if me.User.Role != "administrator" || !me.User.ServerAdmin || me.Workspace.Plan != "enterprise" {
			t.Fatalf("me: %+v", me)
		}

		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("server did not stop after SIGTERM")
		}
		if !strings.Contains(stderr.String(), "stopped") {
			t.Fatalf("no clean stop logged:\n%s", stderr.String())
		}
	})
}

func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestBadOptionsExit2(t *testing.T) {
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"serve", "--plan", "gold"}, "--plan"},
		{nil, []string{"serve", "--addr", "nowhere"}, "--addr"},
		{nil, []string{"serve", "--max-body", "12"}, "--max-body"},
		{nil, []string{"serve", "--log-level", "loud"}, "--log-level"},
		{nil, []string{"serve", "--metrics-addr", "nowhere"}, "--metrics-addr"},
		{nil, []string{"serve", "--pprof"}, "--pprof"},
		{nil, []string{"serve", "--tls-cert", "c.pem"}, "--tls-key"},
		{nil, []string{"serve", "--nope"}, "-nope"},
		{[]string{"OPENLINES_MAX_BODY=abc"}, []string{"serve"}, "OPENLINES_MAX_BODY"},
		{[]string{"OPENLINES_PLAN=gold"}, []string{"serve"}, "--plan"},
		{[]string{"OPENLINES_ADMIN_PASSWORD=short"}, []string{"serve"}, "--admin-password"},
		{nil, []string{"frobnicate"}, "unknown command"},
		{nil, []string{"workspace", "set-plan", "--plan", "gold"}, "--plan"},
		{nil, []string{"user", "add", "--email", "x"}, "--email"},
	}
	for _, c := range cases {
		_, stderr, code := runBinary(t, c.env, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want exit 2 naming %s", c.env, c.args, code, stderr, c.want)
		}
	}
}

// The administrative commands work on a database the server will use.
func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ol.db")
	out, errOut, code := runBinary(t, nil, "workspace", "create", "--db", db, "--name", "Acme", "--plan", "basic")
	if code != 0 || !strings.Contains(out, "plan basic") {
		t.Fatalf("workspace create: %d %s %s", code, out, errOut)
	}
	wsID := regexp.MustCompile(`created workspace (\S+)`).FindStringSubmatch(out)[1]
	out, errOut, code = runBinary(t, []string{"OPENLINES_DB=" + db}, "user", "add", "--email", "Ann@Acme.io", "--name", "Ann", "--password", "secret-pass", "--role", "administrator")
	if code != 0 || !strings.Contains(out, "ann@acme.io") {
		t.Fatalf("user add: %d %s %s", code, out, errOut)
	}
	_, errOut, code = runBinary(t, nil, "user", "add", "--db", db, "--email", "ann@acme.io", "--name", "Ann", "--password", "secret-pass")
	if code != 1 || !strings.Contains(errOut, "already used") {
		t.Fatalf("duplicate user add: %d %s", code, errOut)
	}
	out, _, code = runBinary(t, nil, "workspace", "set-plan", "--db", db, "--workspace", wsID, "--plan", "free")
	if code != 0 || !strings.Contains(out, "free plan") {
		t.Fatalf("set-plan: %d %s", code, out)
	}
	out, _, code = runBinary(t, nil, "migrate", "--db", db)
	if code != 0 || !regexp.MustCompile(`schema version [1-9]`).MatchString(out) {
		t.Fatalf("migrate: %d %s", code, out)
	}
	out, _, _ = runBinary(t, nil, "version")
	if !strings.HasPrefix(out, "openlines ") {
		t.Fatalf("version: %q", out)
	}
}

// TestDemo starts `openlines demo` and sees simulated customers' dialogs
// arrive on the three demo lines, offered to the demo operators.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary, "demo", "--addr", "127.0.0.1:0", "--pace", "100ms")
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	url := ""
	for url == "" && sc.Scan() {
		if m := regexp.MustCompile(`running at (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no URL printed; stderr:\n%s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	// The demo's administrator sees its lines' settings (an operator only
	// their names) and every user.
	body, _ := json.Marshal(map[string]string{"email": "admin@demo.local", "password": "openlines-demo"})
	res, err := http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("demo administrator login: %v %v", res, err)
	}
	cookie := res.Cookies()[0]
	res.Body.Close()
	get := func(path string, v any) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.AddCookie(cookie)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		json.NewDecoder(res.Body).Decode(v)
	}
	var lines struct {
		Lines []struct{ Name, Mode string } `json:"lines"`
	}
	get("/api/v1/lines", &lines)
	modes := map[string]string{}
	for _, l := range lines.Lines {
		modes[l.Name] = l.Mode
	}
	if modes["Sales"] != "evenly" || modes["Support"] != "strictly" || modes["VIP"] != "all" {
		t.Fatalf("demo lines: %+v", lines)
	}
	var users struct {
		Users []struct{ ID, Email string } `json:"users"`
	}
	get("/api/v1/users", &users)
	if len(users.Users) != 6 {
		t.Fatalf("%d demo users, want 5 operators and an administrator", len(users.Users))
	}
	emails := map[string]string{}
	for _, u := range users.Users {
		emails[u.ID] = u.Email
	}
	// Anna (in the Sales queue only) signs in and goes online; the other
	// operators stay offline and must never be offered a dialog.
	body, _ = json.Marshal(map[string]string{"email": "anna@demo.local", "password": "openlines-demo"})
	res, err = http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("demo operator login: %v %v", res, err)
	}
	res.Body.Close()
	req, _ := http.NewRequest("PUT", url+"/api/v1/me/status", strings.NewReader(`{"status":"online"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(res.Cookies()[0])
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode >= 300 {
		t.Fatalf("anna goes online: %v %v", res, err)
	}
	res.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var page struct {
			Dialogs []struct {
				Session struct {
					OfferedTo []string `json:"offered_to"`
				} `json:"session"`
			} `json:"dialogs"`
		}
		get("/api/v1/dialogs?limit=200", &page)
		offered := 0
		for _, d := range page.Dialogs {
			for _, id := range d.Session.OfferedTo {
				if emails[id] != "anna@demo.local" {
					t.Fatalf("a dialog was offered to %s, who is offline", emails[id])
				}
				offered++
			}
		}
		if len(page.Dialogs) >= 5 && offered > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulated customers wrote %d dialogs (%d offered to the online operator) in 20 s", len(page.Dialogs), offered)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo exit: %v\n%s", err, stderr.String())
	}
}
