package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// A WebSocket lives no longer than the sign-in that opened it: signing out
// closes that sign-in's sockets (not the user's others), and a password
// change, a deactivation or a revoked API token close theirs — at once,
// with the close code that tells the browser to sign in again.
func TestSocketsEndWithTheirSignIn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixtureOn(t, storetest.DSN(t, engine), false)
		s := f.stack.Store
		hash, _ := user.HashPassword(fixturePassword)
		bob, err := s.CreateUser(ctx, user.User{WorkspaceID: f.admin.WorkspaceID, Email: "bob@acme.io", Name: "Bob", Role: user.Director, Active: true, PasswordHash: hash}) // a director: every event reaches his screens
		if err != nil {
			t.Fatal(err)
		}
		signIn := func() *http.Client {
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar}
			body, _ := json.Marshal(map[string]string{"email": "bob@acme.io", "password": fixturePassword})
			res, err := hc.Post(f.srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("login: %v %v", res, err)
			}
			res.Body.Close()
			return hc
		}
		open := func(opts *websocket.DialOptions) *websocket.Conn {
			c, _, err := websocket.Dial(ctx, f.wsURL(), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.CloseNow() })
			return c
		}
		asAdmin := func(method, path string, body any) {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+f.secret)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode >= 300 {
				t.Fatalf("%s %s: %v %v", method, path, res, err)
			}
			res.Body.Close()
		}
		n := 0
		// closed waits for the server to close c; before that, the socket
		// must not get the customer message sent after the revocation (the
		// n-th; earlier ones may still be buffered).
		closed := func(c *websocket.Conn, what string) {
			t.Helper()
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			for {
				_, data, err := c.Read(rctx)
				if err != nil {
					if code := websocket.CloseStatus(err); code != realtime.CloseUnauthorized {
						t.Fatalf("%s: the socket ended with %v (code %d), want close %d", what, err, code, realtime.CloseUnauthorized)
					}
					break
				}
				if bytes.Contains(data, []byte(fmt.Sprintf("after-revocation-%d", n))) {
					t.Fatalf("%s: the socket got a customer message after its sign-in ended", what)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("%s: closing took %v", what, d)
			}
		}
		alive := func(c *websocket.Conn, what string) {
			t.Helper()
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, _, err := c.Read(rctx); err != nil {
				t.Fatalf("%s: the socket was closed: %v", what, err)
			}
		}
		customer := func() {
			n++
			if res, err := f.inbound("c-revoke", fmt.Sprintf("m-%d", n), fmt.Sprintf("after-revocation-%d", n)); err != nil || res.StatusCode >= 300 {
				t.Fatalf("inbound: %v %v", res, err)
			}
		}

		// Sign-out ends that sign-in's socket; the user's other sign-in stays.
		hc1, hc2 := signIn(), signIn()
		ws1, ws2 := open(&websocket.DialOptions{HTTPClient: hc1}), open(&websocket.DialOptions{HTTPClient: hc2})
		time.Sleep(50 * time.Millisecond) // both registered
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/auth/logout", nil)
		if res, err := hc1.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %v %v", res, err)
		}
		customer()
		closed(ws1, "signed out")
		alive(ws2, "the user's other sign-in")

		// A password change ends every sign-in of the user.
		asAdmin("PATCH", "/api/v1/users/"+bob.ID, map[string]any{"password": "a brand new password"})
		customer()
		closed(ws2, "password changed")

		// Deactivation.
		asAdmin("PATCH", "/api/v1/users/"+bob.ID, map[string]any{"password": fixturePassword})
		ws3 := open(&websocket.DialOptions{HTTPClient: signIn()})
		time.Sleep(50 * time.Millisecond)
		asAdmin("POST", "/api/v1/users/"+bob.ID+"/deactivate", nil)
		customer()
		closed(ws3, "deactivated")

		// A revoked API token ends the sockets opened with it.
		secret, tokenHash, _ := user.NewSecret("olt_")
		tok, err := s.CreateAPIToken(ctx, f.admin, "screen", tokenHash, nil)
		if err != nil {
			t.Fatal(err)
		}
		wsTok := open(&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + secret}}})
		time.Sleep(50 * time.Millisecond)
		if err := s.DeleteAPIToken(ctx, f.admin.WorkspaceID, f.admin.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		customer()
		closed(wsTok, "token revoked")
	})
}
