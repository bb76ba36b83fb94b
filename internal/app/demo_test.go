package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/channel"
)

// Every start of the demo replaces its customers' API token instead of
// adding one, and the demo lines offer dialogs only to available operators.
func TestDemoRestartKeepsOneToken(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "demo.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var secrets []string
	for range 3 { // the first start and two restarts
		st, err := Start(ctx, db, StackOptions{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		secret, channels, err := seedDemo(ctx, st)
		if err != nil {
			st.Close()
			t.Fatal(err)
		}
		if len(channels) != len(demoLines) {
			t.Errorf("%d channels, want %d", len(channels), len(demoLines))
		}
		secrets = append(secrets, secret)
		st.Close()
	}
	st, err := Start(ctx, db, StackOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.Store.UserByEmail(ctx, "admin@demo.local")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := st.Store.ListAPITokens(ctx, admin.WorkspaceID, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 || toks[0].Name != demoTokenName {
		t.Fatalf("after two restarts the demo administrator has tokens %+v, want one %q", toks, demoTokenName)
	}
	if secrets[0] == secrets[2] {
		t.Fatal("the token was not rotated")
	}
	lines, err := st.Store.ListLines(ctx, admin.WorkspaceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !l.CheckAvailable {
			t.Errorf("demo line %s offers to offline operators (check_available is off)", l.Name)
		}
	}
}

// syncBuffer is an io.Writer the server may write to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The demo serves a shop page on a second origin that embeds the widget of
// a widget channel it made on its first line; a restart keeps that one
// channel.
func TestDemoSite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	siteRe := regexp.MustCompile(`Demo site with the chat widget \(play the customer\): (http://\S+)`)
	serverRe := regexp.MustCompile(`is running at (http://\S+)`)
	var channelIDs []string
	for run := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- Demo(ctx, Config{DB: db, Addr: "127.0.0.1:0", ShutdownTimeout: time.Second, Version: "test"}, out, log, time.Hour)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for !siteRe.MatchString(out.String()) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("run %d: no demo site in the banner: %q (error: %v)", run, out.String(), <-done)
			}
			select {
			case err := <-done:
				cancel()
				t.Fatalf("run %d: demo stopped: %v\n%s", run, err, out.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		siteURL := siteRe.FindStringSubmatch(out.String())[1]
		serverURL := serverRe.FindStringSubmatch(out.String())[1]
		if siteURL == serverURL+"/" {
			t.Fatalf("the site is the server's own origin %s", siteURL)
		}
		res, err := http.Get(siteURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`<script src="` + regexp.QuoteMeta(serverURL) + `/widget.js" data-channel="([^"]+)" async></script>`).FindSubmatch(body)
		if res.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("run %d: GET %s: %d\n%s", run, siteURL, res.StatusCode, body)
		}
		channelIDs = append(channelIDs, string(m[1]))
		// The server serves the script the page loads.
		if res, err := http.Get(serverURL + "/widget.js"); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /widget.js: %v %v", err, res)
		} else {
			res.Body.Close()
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	if channelIDs[0] != channelIDs[1] {
		t.Fatalf("a restart made another widget channel: %v", channelIDs)
	}
	st, err := Start(context.Background(), db, StackOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.Store.UserByEmail(context.Background(), "admin@demo.local")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.Store.ListLines(context.Background(), admin.WorkspaceID)
	if err != nil {
		t.Fatal(err)
	}
	var widgets []string
	for _, l := range lines {
		cs, err := st.Store.ListChannels(context.Background(), admin.WorkspaceID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Type == channel.TypeWidget {
				if l.Name != demoLines[0].name {
					t.Errorf("the widget channel is on %s, want %s", l.Name, demoLines[0].name)
				}
				widgets = append(widgets, c.ID)
			}
		}
	}
	if len(widgets) != 1 || widgets[0] != channelIDs[0] {
		t.Fatalf("widget channels %v, want the page's %s only", widgets, channelIDs[0])
	}
}
