package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// tcpProxy forwards a local port to PostgreSQL and can cut the database off
// (refusing new connections and dropping open ones) and bring it back on
// the same port: an outage the test controls, without touching the shared
// server.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.DialTimeout("tcp", p.target, 5*time.Second)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[d] = struct{}{}, struct{}{}
			p.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
}

// down refuses new connections and drops the open ones.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// up listens again on the same port.
func (p *tcpProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy up again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// A database that cannot be reached answers 503 with Retry-After promptly,
// never 500, counts the 503s by cause, and the server recovers by itself
// when the database is back. On PostgreSQL the connection runs through a
// proxy the test cuts; on SQLite the store is closed under the server.
func TestDatabaseOutageIs503(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		var proxy *tcpProxy
		if engine == store.Postgres {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			proxy = newTCPProxy(t, u.Host)
			u.Host = proxy.addr
			dsn = u.String()
		}
		st, err := store.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ws, err := st.CreateWorkspace(context.Background(), "Acme", workspace.Enterprise)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(context.Background(), user.User{WorkspaceID: ws.ID, Email: "a@acme.test", Name: "A",
			Role: user.Administrator, Active: true, PasswordHash: passwordHash(t)}); err != nil {
			t.Fatal(err)
		}
		api := httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		srv := httptest.NewServer(api.Handler())
		defer srv.Close()
		h := &harness{t: t, st: st, srv: srv}
		c := h.login("a@acme.test", testPassword)
		line := c.createLine("Support")
		ch := c.createChannel(line)
		c.inbound(ch, "c1", "m1", "before").want(http.StatusCreated)

		if engine == store.Postgres {
			proxy.down()
		} else {
			st.Close()
		}
		for i, req := range [][2]string{{"GET", "/api/v1/lines"}, {"GET", "/api/v1/dialogs"}, {"POST", "inbound"}, {"GET", "/readyz"}, {"GET", "/api/v1/me"}} {
			start := time.Now()
			var r reply
			if req[1] == "inbound" {
				r = c.inbound(ch, "c1", "m-down-"+string(rune('a'+i)), "during")
			} else {
				r = c.do(req[0], req[1], nil)
			}
			r.wantErr(http.StatusServiceUnavailable, "unavailable")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s: 503 without Retry-After", r.req)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s: the 503 took %v", r.req, d)
			}
		}
		metrics := c.do("GET", "/metrics", nil).want(http.StatusOK)
		if !strings.Contains(string(metrics.raw), "openlines_http_unavailable_total{cause=") {
			t.Errorf("503s are not counted by cause:\n%s", grepLines(string(metrics.raw), "unavailable"))
		}
		if engine == store.SQLite {
			return // a closed store stays closed: that is a shutting-down server
		}
		proxy.up()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := c.inbound(ch, "c1", "m-after", "after")
			if r.status == http.StatusCreated {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no recovery after the database came back: %d %s", r.status, clip(r.raw))
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.do("GET", "/readyz", nil).want(http.StatusOK)
	})
}

// A draining server answers 503 with Retry-After on the API and /readyz.
func TestDrainingIs503(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		st := storetest.Open(t, engine, store.Options{})
		api := httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		srv := httptest.NewServer(api.Handler())
		defer srv.Close()
		h := &harness{t: t, st: st, srv: srv}
		h.anon().do("GET", "/readyz", nil).want(http.StatusOK)
		api.Drain()
		for _, path := range []string{"/readyz", "/api/v1/lines", "/api/v1/me"} {
			r := h.anon().do("GET", path, nil).wantErr(http.StatusServiceUnavailable, "unavailable")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", path)
			}
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
