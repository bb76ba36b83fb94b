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

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// fixture is the whole stack behind a test server, with a workspace, an
// administrator (in the line's queue), a line, an api channel and an API
// token for posting customer messages.
type fixture struct {
	stack  *app.Stack
	srv    *httptest.Server
	admin  user.User
	ch     channel.Channel
	secret string // the administrator's API token
}

const fixturePassword = "operator-password"

func newFixture(tb testing.TB, welcome bool) *fixture {
	tb.Helper()
	return newFixtureOn(tb, filepath.Join(tb.TempDir(), "app.db"), welcome)
}

// newFixtureOn is newFixture on the database named by dsn.
func newFixtureOn(tb testing.TB, dsn string, welcome bool) *fixture {
	tb.Helper()
	ctx := context.Background()
	stack, err := app.Start(ctx, dsn, app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{stack: stack, srv: httptest.NewServer(stack.Handler)}
	tb.Cleanup(func() { f.srv.Close(); stack.Close() })
	s := stack.Store
	ws, _ := s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
	hash, _ := user.HashPassword(fixturePassword)
	f.admin, _ = s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "ann@acme.io", Name: "Ann", Role: user.Administrator, Active: true, PasswordHash: hash})
	set := line.Defaults()
	set.Queue, set.WelcomeEnabled = []string{f.admin.ID}, welcome
	ln, _ := s.CreateLine(ctx, ws.ID, "Support", set)
	f.ch, _ = s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
	var tokenHash string
	f.secret, tokenHash, _ = user.NewSecret("olt_")
	s.CreateAPIToken(ctx, f.admin, "connector", tokenHash, nil)
	return f
}

// login signs the administrator in and returns a client with the cookie.
func (f *fixture) login(tb testing.TB) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": "ann@acme.io", "password": fixturePassword})
	if res, err := hc.Post(f.srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body)); err != nil || res.StatusCode != 200 {
		tb.Fatalf("login: %v %v", res, err)
	}
	return hc
}

func (f *fixture) wsURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/api/v1/ws" }

// inbound posts a customer message through the API and returns the response.
func (f *fixture) inbound(customer, ext, text string) (*http.Response, error) {
	body, _ := json.Marshal(map[string]any{"customer": map[string]string{"external_id": customer}, "message": map[string]string{"external_id": ext, "text": text}})
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/channels/"+f.ch.ID+"/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.secret)
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}
