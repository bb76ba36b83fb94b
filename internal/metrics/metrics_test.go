package metrics

import (
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func text(t testing.TB, r *Registry) string {
	t.Helper()
	var sb strings.Builder
	if err := r.WriteText(&sb); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	return sb.String()
}

func TestWriteTextExact(t *testing.T) {
	r := NewRegistry()
	reqs := r.Counter("http_requests_total", "Total HTTP requests.", "method", "code")
	hist := r.Histogram("http_request_duration_seconds", "Request latency.", []float64{0.1, 0.5, 1}, "route")
	r.GaugeFunc("goroutines", "Number of goroutines.", func() float64 { return 42 })
	r.Counter("errors_total", "Errors (never incremented).")
	r.Counter("unused_total", "Labelled, no series yet.", "kind")
	big := r.Counter("big_total", "Large values.")

	reqs.Inc("POST", "201")
	reqs.Inc("GET", "200")
	reqs.Add(2, "GET", "200")
	reqs.Add(0.5, "GET", "500")
	hist.Observe(0.05, "/b")
	hist.Observe(0.1, "/b") // le is inclusive
	hist.Observe(0.7, "/b")
	hist.Observe(3, "/b")
	hist.Observe(0.25, "/a")
	big.Add(1e6)

	want := `# HELP big_total Large values.
# TYPE big_total counter
big_total 1000000
# HELP errors_total Errors (never incremented).
# TYPE errors_total counter
errors_total 0
# HELP goroutines Number of goroutines.
# TYPE goroutines gauge
goroutines 42
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/a",le="0.1"} 0
http_request_duration_seconds_bucket{route="/a",le="0.5"} 1
http_request_duration_seconds_bucket{route="/a",le="1"} 1
http_request_duration_seconds_bucket{route="/a",le="+Inf"} 1
http_request_duration_seconds_sum{route="/a"} 0.25
http_request_duration_seconds_count{route="/a"} 1
http_request_duration_seconds_bucket{route="/b",le="0.1"} 2
http_request_duration_seconds_bucket{route="/b",le="0.5"} 2
http_request_duration_seconds_bucket{route="/b",le="1"} 3
http_request_duration_seconds_bucket{route="/b",le="+Inf"} 4
http_request_duration_seconds_sum{route="/b"} 3.85
http_request_duration_seconds_count{route="/b"} 4
# HELP http_requests_total Total HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 3
http_requests_total{method="GET",code="500"} 0.5
http_requests_total{method="POST",code="201"} 1
`
	if got := text(t, r); got != want {
		t.Fatalf("WriteText mismatch\n--- got ---\n%s\n--- want ---\n%s", got, want)
	}
}

func TestLabelLessHistogramAndDefBuckets(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("lat_seconds", "h", DefBuckets)
	h.Observe(0.003)
	got := text(t, r)
	for _, line := range []string{
		`lat_seconds_bucket{le="0.0005"} 0`,
		`lat_seconds_bucket{le="0.0025"} 0`,
		`lat_seconds_bucket{le="0.005"} 1`,
		`lat_seconds_bucket{le="10"} 1`,
		`lat_seconds_bucket{le="+Inf"} 1`,
		`lat_seconds_sum 0.003`,
		`lat_seconds_count 1`,
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("missing line %q in:\n%s", line, got)
		}
	}
	if n := strings.Count(got, "_bucket{"); n != len(DefBuckets)+1 {
		t.Errorf("got %d bucket lines, want %d", n, len(DefBuckets)+1)
	}
}

func TestEscaping(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("esc_total", "Help with \\ backslash\nand newline and \"quotes\".", "v", "w")
	c.Inc("a\\b\"c\nd", "plain")
	want := `# HELP esc_total Help with \\ backslash\nand newline and "quotes".
# TYPE esc_total counter
esc_total{v="a\\b\"c\nd",w="plain"} 1
`
	if got := text(t, r); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMultiLabelKeysDistinct(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("k_total", "h", "a", "b")
	c.Inc("x", "yz")
	c.Inc("xy", "z")
	c.Inc("", "xyz")
	got := text(t, r)
	for _, line := range []string{`k_total{a="",b="xyz"} 1`, `k_total{a="x",b="yz"} 1`, `k_total{a="xy",b="z"} 1`} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("missing %q in:\n%s", line, got)
		}
	}
}

func mustPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: expected panic", name)
		}
	}()
	fn()
}

func TestPanics(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("c_total", "h", "a", "b")
	h := r.Histogram("h_seconds", "h", []float64{1, 2}, "a")
	mustPanic(t, "Inc too few", func() { c.Inc("x") })
	mustPanic(t, "Inc too many", func() { c.Inc("x", "y", "z") })
	mustPanic(t, "Add none", func() { c.Add(1) })
	mustPanic(t, "Add negative", func() { c.Add(-1, "x", "y") })
	mustPanic(t, "Observe too few", func() { h.Observe(1) })
	mustPanic(t, "Observe too many", func() { h.Observe(1, "x", "y") })
	mustPanic(t, "invalid UTF-8 value", func() { c.Inc("\xff", "y") })
	mustPanic(t, "duplicate name", func() { r.Counter("c_total", "h") })
	mustPanic(t, "duplicate across types", func() { r.GaugeFunc("h_seconds", "h", func() float64 { return 0 }) })
	mustPanic(t, "bad metric name", func() { r.Counter("1abc", "h") })
	mustPanic(t, "bad metric name chars", func() { r.Counter("a-b", "h") })
	mustPanic(t, "empty metric name", func() { r.Counter("", "h") })
	mustPanic(t, "bad label name", func() { r.Counter("ok1_total", "h", "a:b") })
	mustPanic(t, "reserved label name", func() { r.Counter("ok2_total", "h", "__x") })
	mustPanic(t, "duplicate label name", func() { r.Counter("ok3_total", "h", "a", "a") })
	mustPanic(t, "le label on histogram", func() { r.Histogram("ok4_seconds", "h", DefBuckets, "le") })
	mustPanic(t, "unsorted buckets", func() { r.Histogram("ok5_seconds", "h", []float64{1, 0.5}) })
	mustPanic(t, "nil gauge func", func() { r.GaugeFunc("ok6", "h", nil) })
	// Valid edge cases must not panic; an explicit +Inf bucket is tolerated.
	r.Counter("ns:sub_total", "h", "_x", "y2")
	r.Histogram("inf_seconds", "h", []float64{1, math.Inf(1)})
	if n := strings.Count(text(t, r), `inf_seconds_bucket{le="+Inf"}`); n != 1 {
		t.Errorf("+Inf bucket lines = %d, want 1", n)
	}
}

func TestConcurrent(t *testing.T) {
	const G, N = 8, 10000
	r := NewRegistry()
	c := r.Counter("ops_total", "h", "shard")
	f := r.Counter("frac_total", "h")
	h := r.Histogram("obs_seconds", "h", []float64{1, 2}, "shard")
	shards := []string{"even", "odd"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() { // concurrent scrapes exercise the read path under -race
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.WriteText(new(strings.Builder))
			}
		}
	}()
	for g := range G {
		wg.Go(func() {
			s := shards[g%2]
			for i := range N {
				c.Inc(s)
				f.Add(0.25)
				h.Observe(float64(i%3)+0.5, s) // 0.5, 1.5, 2.5 -> one per bucket
			}
		})
	}
	wg.Wait()
	close(stop)
	got := text(t, r)
	perShard := G / 2 * N
	// i%3 over 0..9999: 3334 zeros, 3333 ones, 3333 twos per goroutine.
	b0, b1 := G/2*3334, G/2*(3334+3333)
	sum := G / 2 * (3334*0.5 + 3333*1.5 + 3333*2.5)
	for _, s := range shards {
		for _, line := range []string{
			`ops_total{shard="` + s + `"} ` + formatFloat(float64(perShard)),
			`obs_seconds_bucket{shard="` + s + `",le="1"} ` + formatFloat(float64(b0)),
			`obs_seconds_bucket{shard="` + s + `",le="2"} ` + formatFloat(float64(b1)),
			`obs_seconds_bucket{shard="` + s + `",le="+Inf"} ` + formatFloat(float64(perShard)),
			`obs_seconds_count{shard="` + s + `"} ` + formatFloat(float64(perShard)),
			`obs_seconds_sum{shard="` + s + `"} ` + formatFloat(sum),
		} {
			if !strings.Contains(got, line+"\n") {
				t.Errorf("missing %q", line)
			}
		}
	}
	if want := "frac_total 20000\n"; !strings.Contains(got, want) {
		t.Errorf("missing %q in:\n%s", want, got)
	}
}

func TestFormatFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {42, "42"},
		{1e6, "1000000"}, {123456789012, "123456789012"}, {0.005, "0.005"},
		{2.5, "2.5"}, {1e-7, "1e-07"}, {1e20, "1e+20"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}, {math.NaN(), "NaN"},
	} {
		if got := formatFloat(tc.in); got != tc.want {
			t.Errorf("formatFloat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestServeHTTP(t *testing.T) {
	r := NewRegistry()
	r.GaugeFunc("up", "Up.", func() float64 { return 1 })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if want := "# HELP up Up.\n# TYPE up gauge\nup 1\n"; rec.Body.String() != want {
		t.Errorf("body = %q, want %q", rec.Body.String(), want)
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().Counter("bench_total", "h", "method", "code")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc("GET", "200")
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().Histogram("bench_seconds", "h", DefBuckets, "route")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		v := 0.0
		for pb.Next() {
			h.Observe(v, "/api/lines")
			v += 0.001
			if v > 1 {
				v = 0
			}
		}
	})
}
