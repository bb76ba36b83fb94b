package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/events"
)

// BenchmarkRealtimeDelivery: customers write 1,000 messages a second over
// 100 dialogs through the HTTP API; an operator's screen is a real
// WebSocket. Reports the delay from the inbound request's acknowledgement
// to the message on the screen (target p99 ≤ 10 ms):
//
//	go test -run '^$' -bench RealtimeDelivery -benchtime 5000x ./internal/app/
func BenchmarkRealtimeDelivery(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, false)
	conn, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPClient: f.login(b)})
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
		res, err := f.inbound(fmt.Sprint("c", i%100), fmt.Sprint("m", i), "Where is my order?")
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
