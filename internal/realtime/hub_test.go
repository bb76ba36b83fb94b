package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
)

// server serves the hub with the user and workspace named in the query
// (authentication is the HTTP layer's job and tested there).
func server(t *testing.T, h *Hub, alive *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Serve(w, r, Client{UserID: r.URL.Query().Get("user"), WorkspaceID: r.URL.Query().Get("ws"), AuthSession: r.URL.Query().Get("sess"),
			Online: func(context.Context) error {
				alive.Add(1)
				return nil
			}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newHub starts a hub that stops with the test.
func newHub(t *testing.T, o Options) *Hub {
	h := NewHub(o)
	t.Cleanup(h.Close)
	return h
}

func dial(t *testing.T, srv *httptest.Server, user, ws string) *websocket.Conn {
	t.Helper()
	return dialSession(t, srv, user, ws, "")
}

// dialSession opens a connection of user in ws under the sign-in session sess.
func dialSession(t *testing.T, srv *httptest.Server, user, ws, sess string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?user="+user+"&ws="+ws+"&sess="+sess, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 24)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, c *websocket.Conn) events.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func waitConns(t *testing.T, h *Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.Connections() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections, want %d", h.Connections(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestDeliveryByWorkspace(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	a1, a2, b := dial(t, srv, "u1", "A"), dial(t, srv, "u2", "A"), dial(t, srv, "u3", "B")
	waitConns(t, h, 3)
	if alive.Load() != 3 {
		t.Fatalf("an open connection must count as presence: %d", alive.Load())
	}
	h.OnEvents([]events.Event{{Type: events.Capacity, WorkspaceID: "A"}, {Type: events.SessionOffered, WorkspaceID: "A", SessionID: "s1"}})
	h.OnEvents([]events.Event{{Type: events.SessionOffered, WorkspaceID: "B", SessionID: "s2"}})
	for _, c := range []*websocket.Conn{a1, a2} {
		if ev := read(t, c); ev.SessionID != "s1" || ev.Type != events.SessionOffered {
			t.Fatalf("workspace A got %+v (internal events must not be sent)", ev)
		}
	}
	if ev := read(t, b); ev.SessionID != "s2" {
		t.Fatalf("workspace B got %+v", ev)
	}
}

func TestTypingGoesToOthers(t *testing.T) {
	var alive atomic.Int32
	var mu sync.Mutex
	var published []events.Event
	var h *Hub
	h = newHub(t, Options{Publish: func(evs []events.Event) {
		mu.Lock()
		published = append(published, evs...)
		mu.Unlock()
		h.OnEvents(evs) // the bus brings it back
	}})
	srv := server(t, h, &alive)
	me, other := dial(t, srv, "u1", "A"), dial(t, srv, "u2", "A")
	waitConns(t, h, 2)
	ctx := context.Background()
	const d1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	me.Write(ctx, websocket.MessageText, []byte(`{"type":"typing","dialog_id":"not-an-id"}`))
	me.Write(ctx, websocket.MessageText, []byte(`{"type":"typing","dialog_id":"`+d1+`"}`))
	me.Write(ctx, websocket.MessageText, []byte(`not json`))
	if ev := read(t, other); ev.Type != events.Typing || ev.DialogID != d1 || ev.UserIDs[0] != "u1" {
		t.Fatalf("typing: %+v", ev)
	}
	h.OnEvents([]events.Event{{Type: events.SessionChanged, WorkspaceID: "A", SessionID: "after"}})
	if ev := read(t, me); ev.SessionID != "after" {
		t.Fatalf("the typist got %+v before the next event: typing came back to them", ev)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(published) != 1 {
		t.Fatalf("published %d events for one typing, one with a malformed id and one garbage message", len(published))
	}
}

// A client that does not read is dropped when its queue is full; a fast
// client of the same workspace gets everything and nobody waits.
func TestSlowClientDropped(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	slow := dial(t, srv, "slow", "A")
	fast := dial(t, srv, "fast", "A")
	waitConns(t, h, 2)
	const n = 3000
	big := strings.Repeat("x", 16<<10)
	got := make(chan int)
	go func() {
		i := 0
		for ; i < n; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _, err := fast.Read(ctx)
			cancel()
			if err != nil {
				break
			}
		}
		got <- i
	}()
	start := time.Now()
	for i := range n {
		h.OnEvents([]events.Event{{Type: events.MessageCreated, WorkspaceID: "A", MessageID: big, Reason: string(rune('a' + i%26))}})
		time.Sleep(50 * time.Microsecond) // a fast reader keeps up with this pace
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("publishing %d events took %v: someone waited for the slow client", n, d)
	}
	if fastGot := <-got; fastGot != n {
		t.Fatalf("the fast client got %d of %d events", fastGot, n)
	}
	waitConns(t, h, 1) // the slow one is gone
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for { // what was buffered may still arrive; then the connection ends
		if _, _, err := slow.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the slow client's connection was not closed")
			}
			break
		}
	}
}

func TestForeignOriginRefused(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?user=u&ws=A",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a foreign origin was accepted: %v %v", resp, err)
	}
	if h.Connections() != 0 || alive.Load() != 0 {
		t.Fatal("a refused connection was registered")
	}
}

func TestCloseDropsEveryone(t *testing.T) {
	var alive atomic.Int32
	h := newHub(t, Options{})
	srv := server(t, h, &alive)
	c := dial(t, srv, "u", "A")
	waitConns(t, h, 1)
	h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); err == nil {
		t.Fatal("still open after Close")
	}
	waitConns(t, h, 0)
}
