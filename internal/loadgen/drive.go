package loadgen

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxSamples bounds the latencies one run keeps (8 bytes each). Beyond it
// every worker keeps a uniform random sample (reservoir), so percentiles stay
// unbiased; counts and the maximum stay exact.
const maxSamples = 8_000_000

// StatusError is an HTTP answer other than the one a request expects.
type StatusError struct {
	Code int
	Body string // the start of the answer, for the message
}

func (e *StatusError) Error() string {
	return "HTTP " + strconv.Itoa(e.Code) + ": " + e.Body
}

// errorKey classifies a failed request: its HTTP status, "timeout" or
// "transport" (connection refused, reset, …).
func errorKey(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout"
	}
	return "transport"
}

// Errors counts failures by errorKey.
type Errors map[string]int64

// Total is the number of failures.
func (e Errors) Total() int64 {
	var n int64
	for _, v := range e {
		n += v
	}
	return n
}

func (e Errors) add(o Errors) {
	for k, v := range o {
		e[k] += v
	}
}

// sampler keeps latencies, at most limit of them (a reservoir beyond).
type sampler struct {
	d     []time.Duration
	seen  int64
	max   time.Duration
	limit int
	rng   *rand.Rand
}

func newSampler(limit int) *sampler {
	return &sampler{limit: max(limit, 1), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func (s *sampler) add(d time.Duration) {
	s.seen++
	s.max = max(s.max, d)
	if len(s.d) < s.limit {
		s.d = append(s.d, d)
		return
	}
	if i := s.rng.Int64N(s.seen); i < int64(s.limit) {
		s.d[i] = d
	}
}

// Latency summarises a set of durations, in milliseconds.
type Latency struct {
	Name string  `json:"name"`
	N    int64   `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// summarize sorts d (in place) and returns its percentiles (nearest rank).
// n is the number of observations d samples (len(d) when not sampled) and
// maxD their exact maximum (0: the largest of d).
func summarize(name string, d []time.Duration, n int64, maxD time.Duration) Latency {
	l := Latency{Name: name, N: max(n, int64(len(d)))}
	if len(d) == 0 {
		return l
	}
	slices.Sort(d)
	pct := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(d)))) - 1
		return ms(d[min(max(i, 0), len(d)-1)])
	}
	l.P50, l.P90, l.P99 = pct(50), pct(90), pct(99)
	l.Max = ms(max(maxD, d[len(d)-1]))
	return l
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// load describes how to drive an operation.
type load struct {
	conns    int           // concurrent connections (one goroutine each)
	rate     float64       // operations per second in total; 0: flat out
	duration time.Duration // stop issuing after this long
	count    int           // stop after this many (0: no limit)
	timeout  time.Duration // per operation
}

// outcome is what drive measured.
type outcome struct {
	OK      int64
	Errors  Errors
	Elapsed time.Duration // from the first operation issued to the last one finished
	lat     []time.Duration
	maxLat  time.Duration
}

// PerSecond is the rate of successful operations.
func (o *outcome) PerSecond() float64 {
	if o.Elapsed <= 0 {
		return 0
	}
	return float64(o.OK) / o.Elapsed.Seconds()
}

func (o *outcome) latency(name string) Latency { return summarize(name, o.lat, o.OK, o.maxLat) }

// drive runs op with sequence numbers 0, 1, 2, … on l.conns goroutines,
// flat out or at l.rate, until l.count operations were issued, l.duration
// has passed or ctx ends. It records the latency of every successful
// operation and counts the failures by kind. Operations in flight when time
// is up are allowed to finish (each within l.timeout).
func drive(ctx context.Context, l load, op func(ctx context.Context, seq int) error) *outcome {
	start := time.Now()
	deadline := start.Add(l.duration)
	var next func() (int, bool)
	if l.rate > 0 {
		seqs := make(chan int)
		go dispatch(ctx, l, start, deadline, seqs)
		next = func() (int, bool) { s, ok := <-seqs; return s, ok }
	} else {
		var n atomic.Int64
		next = func() (int, bool) {
			if ctx.Err() != nil || !time.Now().Before(deadline) {
				return 0, false
			}
			s := int(n.Add(1) - 1)
			if l.count > 0 && s >= l.count {
				return 0, false
			}
			return s, true
		}
	}
	type worker struct {
		ok   int64
		errs Errors
		s    *sampler
		last time.Time
	}
	ws := make([]*worker, l.conns)
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{errs: Errors{}, s: newSampler(maxSamples / l.conns)}
		ws[i] = w
		wg.Go(func() {
			for {
				seq, more := next()
				if !more {
					return
				}
				rctx, cancel := context.WithTimeout(ctx, l.timeout)
				t0 := time.Now()
				err := op(rctx, seq)
				w.last = time.Now()
				cancel()
				switch {
				case err == nil:
					w.ok++
					w.s.add(w.last.Sub(t0))
				case ctx.Err() != nil:
					// interrupted by the caller: neither a success nor the server's fault
				default:
					w.errs[errorKey(err)]++
				}
			}
		})
	}
	wg.Wait()
	o := &outcome{Errors: Errors{}}
	end := start
	for _, w := range ws {
		o.OK += w.ok
		o.Errors.add(w.errs)
		o.lat = append(o.lat, w.s.d...)
		o.maxLat = max(o.maxLat, w.s.max)
		if w.last.After(end) {
			end = w.last
		}
	}
	o.Elapsed = end.Sub(start)
	return o
}

// dispatch hands out sequence numbers at l.rate per second. When every
// connection is busy it falls behind (the achieved rate shows it) rather
// than opening more connections.
func dispatch(ctx context.Context, l load, start, deadline time.Time, seqs chan<- int) {
	defer close(seqs)
	interval := float64(time.Second) / l.rate
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := 0; l.count == 0 || i < l.count; i++ {
		at := start.Add(time.Duration(float64(i) * interval))
		if !at.Before(deadline) {
			return
		}
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		select {
		case <-ctx.Done():
			return
		case seqs <- i:
		}
	}
}
