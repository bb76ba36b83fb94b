package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// widgetSite is the site that embeds the widget in these tests.
const widgetSite = "https://shop.example"

// widgetNode is one running OpenLines (the whole stack behind a test
// server) on a database that outlives it; kill stops it as a crash would
// for its clients: the listener and every socket go at once.
type widgetNode struct {
	stack *app.Stack
	srv   *httptest.Server
	once  sync.Once

	mu   sync.Mutex
	sent []string // message ids, in the order their delivery became "sent"
}

func startWidgetNode(t *testing.T, dsn, keyFile string, clk clock.Clock) *widgetNode {
	t.Helper()
	stack, err := app.Start(context.Background(), dsn, app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clock: clk, SecretKeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	n := &widgetNode{stack: stack, srv: httptest.NewServer(stack.Handler)}
	stack.Bus.Subscribe(func(evs []events.Event) {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, e := range evs {
			if e.Type == events.MessageDelivery && e.Status == "sent" {
				n.sent = append(n.sent, e.MessageID)
			}
		}
	})
	t.Cleanup(n.kill)
	return n
}

func (n *widgetNode) kill() { n.once.Do(func() { n.srv.Close(); n.stack.Close() }) }

func (n *widgetNode) sentIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.sent)
}

// call does one HTTP request with a bearer token (an operator's or a
// visitor's), as the site's page when origin is set, and decodes the answer.
func (n *widgetNode) call(t *testing.T, token, origin, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// widgetFrame is a frame of the visitor's socket.
type widgetFrame struct {
	Type    string `json:"type"`
	Message struct {
		ID, Direction, Kind, Text string
	} `json:"message"`
}

// visitorSocket is a visitor's real WebSocket: it says hello with the
// token and after, and collects every frame until the server closes it.
type visitorSocket struct {
	conn   *websocket.Conn
	frames chan widgetFrame
}

func dialVisitor(t *testing.T, n *widgetNode, token, after string) *visitorSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.srv.URL, "http")+"/widget/v1/socket",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {widgetSite}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	hello, _ := json.Marshal(map[string]string{"type": "hello", "token": token, "after": after})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}
	s := &visitorSocket{conn: c, frames: make(chan widgetFrame, 1024)}
	go func() {
		defer close(s.frames)
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var f widgetFrame
			json.Unmarshal(b, &f)
			s.frames <- f
		}
	}()
	return s
}

// next returns the next frame, or ok=false when the socket has closed.
func (s *visitorSocket) next(t *testing.T) (widgetFrame, bool) {
	t.Helper()
	select {
	case f, ok := <-s.frames:
		return f, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no frame from the visitor's socket in 10 s")
		return widgetFrame{}, false
	}
}

// An operator answers a widget visitor with a series of texts while the
// node delivering them dies mid-batch — a text claimed and never recorded,
// the ones behind it waiting — and comes back on the same database. The
// visitor, whose socket died with the node, resumes with the last id it
// saw: every answer reaches it exactly once and in order, the outbox
// sends every one of them once and in order (after the dead claim's
// lease, not before), and each ends "sent" in the operator API.
func TestWidgetRepliesSurviveARestartMidDelivery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		const total = 30
		ctx := context.Background()
		dsn := storetest.DSN(t, engine)
		keyFile := filepath.Join(t.TempDir(), "secret.key") // the server key outlives a node, as beside a database
		// The nodes' clock: the outbox's leases run on it, so the test can
		// let the dead node's lease run out without waiting a minute.
		clk := clock.NewFake(time.Now())
		a := startWidgetNode(t, dsn, keyFile, clk)

		s := a.stack.Store
		ws, err := s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := user.HashPassword(fixturePassword)
		ann, err := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "ann@acme.io", Name: "Ann", Role: user.Administrator, Active: true, PasswordHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		set := line.Defaults()
		set.Queue, set.WelcomeEnabled = []string{ann.ID}, false
		ln, err := s.CreateLine(ctx, ws.ID, "Shop", set)
		if err != nil {
			t.Fatal(err)
		}
		op, tokenHash, _ := user.NewSecret("olt_")
		if _, err := s.CreateAPIToken(ctx, ann, "inbox", tokenHash, nil); err != nil {
			t.Fatal(err)
		}
		var ch struct{ ID string }
		if st := a.call(t, op, "", "POST", "/api/v1/lines/"+ln.ID+"/channels", map[string]any{"type": "widget", "name": "Site", "settings": map[string]any{"origins": []string{widgetSite}}}, &ch); st != http.StatusCreated {
			t.Fatalf("create the widget channel: %d", st)
		}
		var vis struct{ Token string }
		if st := a.call(t, "", widgetSite, "POST", "/widget/v1/channels/"+ch.ID+"/visitors", map[string]any{"name": "Vera"}, &vis); st != http.StatusCreated {
			t.Fatalf("new visitor: %d", st)
		}
		if st := a.call(t, vis.Token, widgetSite, "POST", "/widget/v1/messages", map[string]any{"client_id": "first", "text": "Is the jacket in stock?"}, nil); st != http.StatusCreated {
			t.Fatalf("the visitor's message: %d", st)
		}
		var dl struct{ Dialogs []struct{ ID string } }
		if st := a.call(t, op, "", "GET", "/api/v1/dialogs", nil, &dl); st != http.StatusOK || len(dl.Dialogs) != 1 {
			t.Fatalf("dialogs: %d %+v", st, dl)
		}
		dlg := dl.Dialogs[0].ID

		// What the visitor's socket shows, over every socket it opens.
		var shownIDs, shownReplies []string
		lastID := ""
		take := func(f widgetFrame) {
			if f.Type != "message" {
				return
			}
			shownIDs = append(shownIDs, f.Message.ID)
			lastID = f.Message.ID
			if f.Message.Direction == "out" && f.Message.Kind == "text" {
				shownReplies = append(shownReplies, f.Message.Text)
			}
		}
		readyOn := func(v *visitorSocket) {
			for {
				f, ok := v.next(t)
				if !ok {
					t.Fatal("the visitor's socket closed before ready")
				}
				if f.Type == "ready" {
					return
				}
				take(f)
			}
		}
		v1 := dialVisitor(t, a, vis.Token, "")
		readyOn(v1)

		var replyIDs []string
		reply := func(n *widgetNode, i int) {
			var m struct{ ID string }
			if st := n.call(t, op, "", "POST", "/api/v1/dialogs/"+dlg+"/messages", map[string]any{"text": fmt.Sprint("reply ", i)}, &m); st != http.StatusCreated {
				t.Fatalf("reply %d: %d", i, st)
			}
			replyIDs = append(replyIDs, m.ID)
			clk.Advance(time.Millisecond) // time passes between the operator's texts
		}
		// The node delivers the first answers as they come.
		for i := 1; i <= 5; i++ {
			reply(a, i)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(a.sentIDs()) < 5 {
			if time.Now().After(deadline) {
				t.Fatalf("the node sent %d of the first 5 replies", len(a.sentIDs()))
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Then its delivery claims a text and dies before recording it:
		// this is the first half of a delivery (the worker's own claim,
		// with the worker's lease), racing the node's worker for the
		// dialog's next text. Once it holds one, the dialog's later texts
		// wait behind it (in order), so the node dies mid-batch.
		claimCtx, stopClaim := context.WithCancel(ctx)
		defer stopClaim()
		held := make(chan string, 1)
		go func() {
			for claimCtx.Err() == nil {
				if got, err := s.ClaimOutbound(claimCtx, 1, time.Minute); err == nil && len(got) == 1 {
					held <- got[0].Message.ID
					return
				}
			}
		}()
		heldID, i := "", 6
		for ; heldID == "" || i <= 15; i++ {
			if i > 25 {
				t.Fatal("the dead claim never got a text")
			}
			reply(a, i)
			if heldID == "" {
				select {
				case heldID = <-held:
				default:
				}
			}
		}
		stopClaim()
		// The visitor saw what it saw live; the node dies with its socket.
		a.kill()
		for {
			f, ok := v1.next(t)
			if !ok {
				break
			}
			take(f)
		}
		t.Logf("%s: killed after %d replies; %d sent, reply %d claimed and never recorded; the visitor saw %d",
			engine, i-1, len(a.sentIDs()), slices.Index(replyIDs, heldID)+1, len(shownReplies))

		// The node again, on the same database; the operator goes on while
		// the visitor is away.
		b := startWidgetNode(t, dsn, keyFile, clk)
		for ; i <= total-5; i++ {
			reply(b, i)
		}
		states := func() map[string]string {
			var r struct {
				Messages []struct {
					ID       string
					Delivery *struct{ State string }
				}
			}
			if st := b.call(t, op, "", "GET", "/api/v1/dialogs/"+dlg+"/messages?limit=1000", nil, &r); st != http.StatusOK {
				t.Fatalf("messages: %d", st)
			}
			out := map[string]string{}
			for _, m := range r.Messages {
				if m.Delivery != nil {
					out[m.ID] = m.Delivery.State
				}
			}
			return out
		}
		// The dead claim's lease holds: neither it nor anything behind it
		// went out.
		st := states()
		for _, id := range replyIDs[slices.Index(replyIDs, heldID):] {
			if st[id] != "queued" {
				t.Fatalf("reply %d is %q before the dead claim's lease ran out, want queued", slices.Index(replyIDs, id)+1, st[id])
			}
		}
		// The visitor comes back where it left off; the last answers are live.
		v2 := dialVisitor(t, b, vis.Token, lastID)
		readyOn(v2)
		for ; i <= total; i++ {
			reply(b, i)
		}
		clk.Advance(time.Minute) // the dead claim's lease runs out
		deadline = time.Now().Add(10 * time.Second)
		for {
			// The API's states, and the events that say so (published
			// just after the commit the API may already read).
			st, done := states(), len(a.sentIDs())+len(b.sentIDs()) >= len(replyIDs)
			for _, id := range replyIDs {
				if s := st[id]; s != "sent" && s != "delivered" && s != "read" {
					done = false
				}
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not every reply was sent after the restart: %v", st)
			}
			clk.Advance(10 * time.Millisecond) // time goes on for the worker's timers
			time.Sleep(10 * time.Millisecond)
		}
		for len(shownReplies) < total {
			f, ok := v2.next(t)
			if !ok {
				t.Fatalf("the resumed socket closed after %d replies", len(shownReplies))
			}
			take(f)
		}

		var want []string
		for i := 1; i <= total; i++ {
			want = append(want, fmt.Sprint("reply ", i))
		}
		if !slices.Equal(shownReplies, want) {
			t.Fatalf("the visitor was shown %q, want %q", shownReplies, want)
		}
		seen := map[string]bool{}
		for _, id := range shownIDs {
			if seen[id] {
				t.Fatalf("message %s reached the visitor twice", id)
			}
			seen[id] = true
		}
		if sent := append(a.sentIDs(), b.sentIDs()...); !slices.Equal(sent, replyIDs) {
			t.Fatalf("the outbox sent %d texts in the order %v, want each reply once in order %v", len(sent), sent, replyIDs)
		}
	})
}
