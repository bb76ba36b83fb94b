package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// BenchmarkRealtimeDelivery: customers write 1,000 messages a second over
// 100 dialogs through the HTTP API; an operator's screen is a real
// WebSocket. Reports the delay from the inbound request's acknowledgement
// to the message on the screen (target p99 ≤ 10 ms):
//
//	go test -run '^$' -bench RealtimeDelivery -benchtime 5000x ./internal/app/
func BenchmarkRealtimeDelivery(b *testing.B) {
	ctx := context.Background()
	stack, err := app.Start(ctx, filepath.Join(b.TempDir(), "bench.db"), app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(stack.Handler)
	defer stack.Close()
	defer srv.Close()
	s := stack.Store
	ws, _ := s.CreateWorkspace(ctx, "Bench", workspace.Enterprise)
	hash, _ := user.HashPassword("bench-password")
	admin, _ := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "admin@bench.io", Name: "Admin", Role: user.Administrator, Active: true, PasswordHash: hash})
	st := line.Defaults()
	st.WelcomeEnabled = false
	ln, _ := s.CreateLine(ctx, ws.ID, "Support", st)
	ch, _ := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
	secret, tokenHash, _ := user.NewSecret("olt_")
	s.CreateAPIToken(ctx, admin, "bench", tokenHash)

	// The operator signs in and opens the screen's WebSocket.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": "admin@bench.io", "password": "bench-password"})
	if res, err := hc.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body)); err != nil || res.StatusCode != 200 {
		b.Fatalf("login: %v %v", res, err)
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/ws", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)

	var mu sync.Mutex
	shown := map[string]time.Time{}    // by message id
	shownExt := map[string]time.Time{} // by external id
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			now := time.Now()
			var ev struct {
				events.Event
				Data struct {
					ExternalID string `json:"external_id"`
				} `json:"data"`
			}
			if json.Unmarshal(data, &ev) == nil && ev.Type == events.MessageCreated {
				mu.Lock()
				shown[ev.MessageID] = now
				shownExt[ev.Data.ExternalID] = now
				mu.Unlock()
			}
		}
	}()

	acked := make(map[string]time.Time, b.N)
	sent := make(map[string]time.Time, b.N)
	var ackMu sync.Mutex
	post := func(i int) {
		ackMu.Lock()
		sent[fmt.Sprint("m", i)] = time.Now()
		ackMu.Unlock()
		body, _ := json.Marshal(map[string]any{
			"customer": map[string]string{"external_id": fmt.Sprint("c", i%100)},
			"message":  map[string]string{"external_id": fmt.Sprint("m", i), "text": "Where is my order?"},
		})
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/channels/"+ch.ID+"/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		var r struct {
			MessageID string `json:"message_id"`
		}
		json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		at := time.Now()
		ackMu.Lock()
		acked[r.MessageID] = at
		ackMu.Unlock()
	}
	b.ResetTimer()
	// 1,000 messages a second: one every millisecond, each on its own goroutine.
	tick := time.NewTicker(time.Millisecond)
	var wg sync.WaitGroup
	for i := range b.N {
		<-tick.C
		wg.Add(1)
		go func() { defer wg.Done(); post(i) }()
	}
	tick.Stop()
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(shown)
		mu.Unlock()
		if n >= b.N || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	var lat []time.Duration
	mu.Lock()
	for id, a := range acked {
		s, ok := shown[id]
		if !ok {
			b.Fatalf("message %s never reached the screen", id)
		}
		lat = append(lat, max(0, s.Sub(a)))
	}
	mu.Unlock()
	var total []time.Duration // from sending the request to the screen
	mu.Lock()
	for ext, at := range sent {
		total = append(total, shownExt[ext].Sub(at))
	}
	mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(total, func(i, j int) bool { return total[i] < total[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(total[len(total)*99/100].Microseconds())/1000, "send-to-screen-p99-ms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
