package deploy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/testkit"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

func freePort(t *testing.T) int {
	_, port, _ := net.SplitHostPort(testkit.FreeAddr(t))
	n, _ := strconv.Atoi(port)
	return n
}

// nginxConf is deploy/nginx/openlines.conf made runnable here: the
// upstream is the test's server instead of the compose service, the
// listeners are free loopback ports, the certificate a fresh self-signed
// one; everything else is the file as shipped. It returns the main config.
func nginxConf(t *testing.T, dir, upstream string, httpPort, httpsPort int) string {
	t.Helper()
	conf := read(t, "deploy/nginx/openlines.conf")
	for old, new := range map[string]string{
		"server openlines:8080;":                "server " + upstream + ";",
		"listen 80;":                            fmt.Sprintf("listen 127.0.0.1:%d;", httpPort),
		"listen [::]:80;":                       "",
		"listen 443 ssl http2;":                 fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort),
		"listen [::]:443 ssl http2;":            "",
		"/etc/nginx/certs/fullchain.pem":        filepath.Join(dir, "cert.pem"),
		"/etc/nginx/certs/privkey.pem":          filepath.Join(dir, "key.pem"),
		"return 301 https://$host$request_uri;": fmt.Sprintf("return 301 https://$host:%d$request_uri;", httpsPort),
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("deploy/nginx/openlines.conf has no %q any more; update the test", old)
		}
		conf = strings.ReplaceAll(conf, old, new)
	}
	os.WriteFile(filepath.Join(dir, "openlines.conf"), []byte(conf), 0o644)
	for _, d := range []string{"body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	include %[1]s/openlines.conf;
}
`, dir)
	path := filepath.Join(dir, "nginx.conf")
	os.WriteFile(path, []byte(main), 0o644)
	return path
}

// nginx with the shipped config passes nginx -t, and in front of a real
// server it redirects HTTP to HTTPS, hides /metrics, forwards the scheme
// (the server, trusting it, makes the cookie Secure and sends HSTS) and
// upgrades the operators' WebSocket.
func TestNginxInFront(t *testing.T) {
	nginx := need(t, "nginx")
	ctx := context.Background()
	stack, err := app.Start(ctx, filepath.Join(t.TempDir(), "o.db"), app.StackOptions{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack.Handler)
	t.Cleanup(func() { srv.Close(); stack.Close() })
	ws, _ := stack.Store.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
	hash, _ := user.HashPassword("nginx-test-password")
	if _, err := stack.Store.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "op@acme.test", Name: "Op", Role: user.Administrator,
		Active: true, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	leaf := testkit.Cert(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), "nginx test")
	httpPort, httpsPort := freePort(t), freePort(t)
	conf := nginxConf(t, dir, strings.TrimPrefix(srv.URL, "http://"), httpPort, httpsPort)
	if out, err := exec.Command(nginx, "-t", "-c", conf, "-p", dir).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, "-c", conf, "-p", dir)
	var nlog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &nlog, &nlog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := fmt.Sprintf("https://127.0.0.1:%d", httpsPort)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := hc.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				if res.Header.Get("Strict-Transport-Security") == "" {
					t.Error("no HSTS through nginx: X-Forwarded-Proto did not reach the server")
				}
				break
			}
		}
		if time.Now().After(deadline) {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx never answered: %v\n%s\n%s", err, nlog.String(), errLog)
		}
	}
	res, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", httpPort))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(res.Header.Get("Location"), "https://") {
		t.Errorf("plain HTTP: %d %s, want a redirect to https", res.StatusCode, res.Header.Get("Location"))
	}
	if res, err := hc.Get(base + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics through nginx: %v %v", res, err)
	}
	body, _ := json.Marshal(map[string]string{"email": "op@acme.test", "password": "nginx-test-password"})
	res, err = hc.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || len(res.Cookies()) == 0 || !res.Cookies()[0].Secure {
		t.Fatalf("login through nginx: %d, cookies %v (want a Secure one)", res.StatusCode, res.Cookies())
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, "wss://127.0.0.1:"+fmt.Sprint(httpsPort)+"/api/v1/ws", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("WebSocket through nginx: %v %v", resp, err)
	}
	defer conn.CloseNow()
	go func() { // the pong is read by a reader
		for {
			if _, _, err := conn.Read(dctx); err != nil {
				return
			}
		}
	}()
	if err := conn.Ping(dctx); err != nil {
		t.Fatalf("ping through nginx: %v", err)
	}
}
