package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// The whole stack: an operator's WebSocket needs the session cookie and the
// server's own origin, and receives a customer's message as it is committed.
func TestOperatorWebSocket(t *testing.T) {
	ctx := context.Background()
	stack, err := app.Start(ctx, filepath.Join(t.TempDir(), "ws.db"), app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack.Handler)
	defer stack.Close()
	defer srv.Close()
	s := stack.Store
	ws, _ := s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
	hash, _ := user.HashPassword("operator-password")
	admin, _ := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "ann@acme.io", Name: "Ann", Role: user.Administrator, Active: true, PasswordHash: hash})
	set := line.Defaults()
	set.Queue = []string{admin.ID}
	ln, _ := s.CreateLine(ctx, ws.ID, "Support", set)
	ch, _ := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/ws"

	// Without a session: 401 before any upgrade.
	if _, res, err := websocket.Dial(ctx, wsURL, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous WebSocket: %v %v", res, err)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": "ann@acme.io", "password": "operator-password"})
	if res, err := hc.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body)); err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
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
		p, _ := s.GetPresence(ctx, admin.ID)
		if p.Online {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an open connection did not make the operator online")
		}
		time.Sleep(5 * time.Millisecond)
	}
	secret, tokenHash, _ := user.NewSecret("olt_")
	s.CreateAPIToken(ctx, admin, "connector", tokenHash)
	in, _ := json.Marshal(map[string]any{"customer": map[string]string{"external_id": "c1"}, "message": map[string]string{"external_id": "m1", "text": "<b>hi</b>"}})
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/channels/"+ch.ID+"/messages", bytes.NewReader(in))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 201 {
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
