package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The whole stack: an operator's WebSocket needs the session cookie and the
// server's own origin, and receives a customer's message as it is committed.
func TestOperatorWebSocket(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, true)
	s := f.stack.Store
	wsURL := f.wsURL()

	// Without a session: 401 before any upgrade.
	if _, res, err := websocket.Dial(ctx, wsURL, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous WebSocket: %v %v", res, err)
	}
	hc := f.login(t)
	// With the cookie but from another site: refused.
	if _, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Origin": {"https://evil.example"}}}); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site WebSocket: %v %v", res, err)
	}
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	// The open connection is presence.
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, _ := s.GetPresence(ctx, f.admin.ID)
		if p.Online {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an open connection did not make the operator online")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if res, err := f.inbound("c1", "m1", "<b>hi</b>"); err != nil || res.StatusCode != 201 {
		t.Fatalf("inbound: %v %v", res, err)
	}
	seen := map[string]bool{}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for !(seen["message.created"] && seen["session.offered"]) {
		_, data, err := conn.Read(rctx)
		if err != nil {
			t.Fatalf("events seen %v: %v", seen, err)
		}
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Text string `json:"text"`
			} `json:"data"`
		}
		json.Unmarshal(data, &ev)
		if ev.Type == "message.created" && ev.Data.Text != "<b>hi</b>" {
			continue // the welcome auto-reply
		}
		seen[ev.Type] = true
	}
	// An oversized client message closes the connection.
	conn.Write(ctx, websocket.MessageText, bytes.Repeat([]byte("x"), 5000))
	for { // events already sent may still arrive; then the connection ends
		if _, _, err := conn.Read(rctx); err != nil {
			if rctx.Err() != nil {
				t.Fatal("an oversized message did not close the connection")
			}
			break
		}
	}
}
