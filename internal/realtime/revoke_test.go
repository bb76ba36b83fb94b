package realtime

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
)

// closedWith waits for c to be closed by the server and returns the code.
func closedWith(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("the connection was not closed")
			}
			return websocket.CloseStatus(err)
		}
	}
}

// stillOpen checks that c gets the next event.
func stillOpen(t *testing.T, h *Hub, c *websocket.Conn, ws string) {
	t.Helper()
	h.OnEvents([]events.Event{{Type: events.SessionChanged, WorkspaceID: ws, SessionID: "ping"}})
	if ev := read(t, c); ev.SessionID != "ping" {
		t.Fatalf("got %+v", ev)
	}
}

// auth.revoked closes exactly the connections it names, with the code that
// tells the client to sign in again; the revocation itself is never sent.
func TestRevokedSignInClosesItsSockets(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	s1 := dialSession(t, srv, "u1", "A", "sess1")
	s2 := dialSession(t, srv, "u1", "A", "sess2")
	other := dialSession(t, srv, "u2", "A", "sess3")
	foreign := dialSession(t, srv, "u1", "B", "sess4") // same user id in another workspace: not named
	waitConns(t, h, 4)

	h.OnEvents([]events.Event{{Type: events.AuthRevoked, WorkspaceID: "A", UserIDs: []string{"u1"}, AuthSession: "sess1", Reason: "signed_out"}})
	if code := closedWith(t, s1); code != CloseUnauthorized {
		t.Fatalf("signed-out socket closed with %d, want %d", code, CloseUnauthorized)
	}
	stillOpen(t, h, s2, "A") // another sign-in of the same user
	// Deactivation or a password change names the user: all their sign-ins.
	h.OnEvents([]events.Event{{Type: events.AuthRevoked, WorkspaceID: "A", UserIDs: []string{"u1"}, Reason: "deactivated"}})
	if code := closedWith(t, s2); code != CloseUnauthorized {
		t.Fatalf("deactivated user's socket closed with %d", code)
	}
	stillOpen(t, h, other, "A")
	stillOpen(t, h, foreign, "B")
	waitConns(t, h, 2)
}

// The backstop: a sign-in that expires, or whose re-check says it no longer
// holds, closes its socket without any event.
func TestExpiryAndRecheckClose(t *testing.T) {
	var valid atomic.Bool
	valid.Store(true)
	var checkErr atomic.Bool
	h := newHub(t, Options{RecheckEvery: 20 * time.Millisecond})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cl := Client{UserID: r.URL.Query().Get("user"), WorkspaceID: "A"}
		if cl.UserID == "expiring" {
			cl.Expires = time.Now().Add(150 * time.Millisecond)
		} else {
			cl.Recheck = func(context.Context) (bool, error) {
				if checkErr.Load() {
					return false, errors.New("database away")
				}
				return valid.Load(), nil
			}
		}
		h.Serve(w, r, cl)
	}))
	t.Cleanup(srv.Close)
	exp := dial(t, srv, "expiring", "A")
	chk := dial(t, srv, "checked", "A")
	waitConns(t, h, 2)
	if code := closedWith(t, exp); code != CloseUnauthorized {
		t.Fatalf("expired sign-in closed with %d", code)
	}
	checkErr.Store(true) // a check that cannot tell keeps the connection
	time.Sleep(100 * time.Millisecond)
	stillOpen(t, h, chk, "A")
	checkErr.Store(false)
	valid.Store(false)
	if code := closedWith(t, chk); code != CloseUnauthorized {
		t.Fatalf("re-checked socket closed with %d", code)
	}
}

// Presence is one batched call per interval for every connected user, not
// a write per socket.
func TestPresenceBatched(t *testing.T) {
	var mu sync.Mutex
	var calls [][]Member
	h := newHub(t, Options{HeartbeatEvery: 30 * time.Millisecond, Touch: func(_ context.Context, ms []Member) error {
		mu.Lock()
		calls = append(calls, ms)
		mu.Unlock()
		return nil
	}})
	var alive atomic.Int32
	srv := server(t, h, &alive)
	for _, u := range []string{"u1", "u1", "u2", "u3"} {
		dial(t, srv, u, "A")
	}
	waitConns(t, h, 4)
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(calls)
		var last []Member
		if n > 0 {
			last = calls[n-1]
		}
		mu.Unlock()
		if n >= 3 && len(last) == 3 {
			// One call per interval at most: never a call per socket.
			if most := int(time.Since(start)/(30*time.Millisecond)) + 3; n > most {
				t.Fatalf("%d presence calls in %v at a 30 ms interval", n, time.Since(start))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d presence calls, the last naming %v; want batches of the 3 distinct users", n, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An idle connection costs one goroutine on the server.
func TestIdleConnectionIsOneGoroutine(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	dial(t, srv, "warm", "A")
	waitConns(t, h, 1)
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	const n = 200
	for range n {
		dial(t, srv, "u", "A")
	}
	waitConns(t, h, n+1)
	time.Sleep(100 * time.Millisecond)
	// Each new connection: the server's handler goroutine. The client side
	// of this test reads nothing, so it adds none.
	if d := runtime.NumGoroutine() - before; d > n+n/10 {
		t.Fatalf("%d goroutines for %d idle connections", d, n)
	}
}
