package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/workspace"
)

// BenchmarkIngest measures the inbound-message path through the store:
// 128 concurrent senders (the shape of a busy webhook endpoint), 1,000
// customers, every message new and durably committed. Run with
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./internal/store/
func BenchmarkIngest(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			f := newFixture(b, engine, workspace.Enterprise)
			var n atomic.Int64
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					in := f.inbound(fmt.Sprint("c", i%1000), fmt.Sprint("m", i), "Hello, I have a question about my order")
					if _, err := f.s.Ingest(ctx, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
