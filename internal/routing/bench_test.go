package routing_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store/storetest"
)

// BenchmarkDrainBacklog: 10,000 sessions wait on a line of 100 operators who
// are all away; they come online and the engine drains the backlog. Reports
// offers per second through the store (target ≥ 5,000/s on SQLite):
//
//	go test -run '^$' -bench DrainBacklog -benchtime 1x ./internal/routing/
func BenchmarkDrainBacklog(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			var total time.Duration
			offers := 0
			for range b.N {
				e := newEnv(b, engine, 100, func(s *line.Settings) { s.CheckAvailable = true })
				for _, op := range e.ops {
					e.s.SetPresence(ctx, e.ws.ID, op, "away")
				}
				var wg sync.WaitGroup
				for w := range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 10000 / 16 {
							e.customer()
						}
						if w == 0 {
							for range 10000 % 16 {
								e.customer()
							}
						}
					}()
				}
				wg.Wait()
				e.flush()
				b.StartTimer()
				start := time.Now()
				for _, op := range e.ops {
					e.s.SetPresence(ctx, e.ws.ID, op, "online")
				}
				e.flush()
				total += time.Since(start)
				b.StopTimer()
				e.mu.Lock()
				for _, n := range e.offered {
					offers += n
				}
				e.mu.Unlock()
			}
			if offers != 10000*b.N {
				b.Fatalf("%d offers, want %d", offers, 10000*b.N)
			}
			b.ReportMetric(float64(offers)/total.Seconds(), "offers/s")
		})
	}
}

// BenchmarkInboundToOffer: the latency from an inbound message that opens a
// session to the offer event, with the engine running as in production
// (target p99 ≤ 10 ms):
//
//	go test -run '^$' -bench InboundToOffer -benchtime 2000x ./internal/routing/
func BenchmarkInboundToOffer(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine, 50, nil)
			var mu sync.Mutex
			offeredAt := map[string]time.Time{}
			got := make(chan struct{}, 1)
			e.bus.Subscribe(func(evs []events.Event) {
				now := time.Now()
				for _, ev := range evs {
					if ev.Type == events.SessionOffered {
						mu.Lock()
						offeredAt[ev.SessionID] = now
						mu.Unlock()
						select {
						case got <- struct{}{}:
						default:
						}
					}
				}
			})
			c, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { e.eng.Run(c); close(done) }()
			defer func() { cancel(); <-done }()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				s := e.customer()
				for {
					mu.Lock()
					at, ok := offeredAt[s]
					mu.Unlock()
					if ok {
						lat = append(lat, at.Sub(start))
						break
					}
					<-got
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
