package app_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/testkit"
)

// --tls-cert/--tls-key serve HTTPS directly: a client that trusts the
// certificate gets HSTS and a Secure session cookie over HTTP/1.1, and
// plain HTTP on that port gets no answer from the application.
func TestServeHTTPS(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	leaf := testkit.Cert(t, cf, kf, "openlines test")
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}

	addr := testkit.FreeAddr(t)
	serveFor(t, app.Config{Addr: addr, TLSCert: cf, TLSKey: kf}, "https", hc)
	res, err := hc.Post("https://"+addr+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"boss@acme.test","password":"a long enough password"}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" || res.ProtoMajor != 1 {
		t.Fatalf("login over TLS: %d %s HSTS %q", res.StatusCode, res.Proto, res.Header.Get("Strict-Transport-Security"))
	}
	if len(res.Cookies()) == 0 || !res.Cookies()[0].Secure {
		t.Fatalf("session cookie over TLS not Secure: %v", res.Cookies())
	}
	plain, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Fatal("plain HTTP was served on the TLS port")
		}
	}
}
