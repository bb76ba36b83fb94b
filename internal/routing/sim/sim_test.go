package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/line"
)

func run(t testing.TB, c Config) Result {
	t.Helper()
	r, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// within fails unless got is within rel (relative) of want.
func within(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if d := math.Abs(got/want - 1); !(d <= rel) {
		t.Errorf("%s = %.5g, want %.5g ± %.0f%% (off by %.2f%%)", what, got, want, rel*100, d*100)
	} else {
		t.Logf("%s = %.5g, want %.5g (off by %.2f%%)", what, got, want, d*100)
	}
}

// erlangCExact computes Erlang C in exact rational arithmetic from the
// textbook form, independently of ErlangC's recursion:
//
//	C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)).
func erlangCExact(a *big.Rat, n int) *big.Rat {
	sum := new(big.Rat)
	term := big.NewRat(1, 1) // A^k/k!
	for k := 0; k < n; k++ {
		sum.Add(sum, term)
		term.Mul(term, a)
		term.Quo(term, big.NewRat(int64(k+1), 1))
	}
	nr := big.NewRat(int64(n), 1)
	tail := new(big.Rat).Mul(term, new(big.Rat).Quo(nr, new(big.Rat).Sub(nr, a)))
	return new(big.Rat).Quo(tail, sum.Add(sum, tail))
}

func TestErlangCKnownValues(t *testing.T) {
	for _, tc := range []struct {
		lambda, mu float64
		n          int
		c          float64 // P(wait)
	}{
		{1, 1, 2, 1.0 / 3},    // A = 1 Erlang on 2 servers: the textbook 1/3
		{0.7, 1, 1, 0.7},      // M/M/1: C = ρ
		{2, 1, 3, 4.0 / 9},    // B(3,2) = 4/19, C = (4/19)/(1 − (2/3)(15/19)) = 4/9
		{4, 2, 3, 4.0 / 9},    // only A = λ/μ matters for C
		{8, 1, 10, 0.4091802}, // A = 8 on 10
	} {
		c, w := ErlangC(tc.lambda, tc.mu, tc.n)
		if math.Abs(c-tc.c) > 1e-6 {
			t.Errorf("ErlangC(%v, %v, %d) P(wait) = %.9f, want %.9f", tc.lambda, tc.mu, tc.n, c, tc.c)
		}
		if want := tc.c / (float64(tc.n)*tc.mu - tc.lambda); math.Abs(w-want) > 1e-6*want {
			t.Errorf("ErlangC(%v, %v, %d) mean wait = %.9f, want %.9f", tc.lambda, tc.mu, tc.n, w, want)
		}
	}
	// M/M/1 mean wait: ρ/(μ−λ).
	if _, w := ErlangC(0.5, 1, 1); math.Abs(w-1) > 1e-12 {
		t.Errorf("M/M/1 λ=0.5 μ=1 mean wait = %v, want 1", w)
	}
}

func TestErlangCAgainstExactArithmetic(t *testing.T) {
	for _, tc := range []struct {
		num, den int64 // A = num/den Erlangs
		n        int
	}{
		{3, 1, 5}, {8, 1, 10}, {18, 1, 20}, {1, 2, 1}, {45, 2, 25}, {90, 1, 100}, {190, 1, 200}, {999, 1, 1000},
	} {
		a := big.NewRat(tc.num, tc.den)
		want, _ := erlangCExact(a, tc.n).Float64()
		af, _ := a.Float64()
		got, _ := ErlangC(af, 1, tc.n)
		if math.Abs(got-want) > 1e-9*want {
			t.Errorf("ErlangC(A=%v, N=%d) = %.12f, exact %.12f", af, tc.n, got, want)
		}
	}
}

func TestErlangCEdges(t *testing.T) {
	if c, w := ErlangC(0, 1, 3); c != 0 || w != 0 {
		t.Errorf("λ=0: %v, %v; want 0, 0", c, w)
	}
	if c, w := ErlangC(3, 1, 3); c != 1 || !math.IsInf(w, 1) {
		t.Errorf("λ = Nμ: %v, %v; want 1, +Inf", c, w)
	}
	for _, bad := range [][3]float64{{1, 0, 1}, {-1, 1, 1}, {1, 1, 0}, {math.NaN(), 1, 1}, {1, math.Inf(1), 2}} {
		if c, w := ErlangC(bad[0], bad[1], int(bad[2])); !math.IsNaN(c) || !math.IsNaN(w) {
			t.Errorf("ErlangC%v = %v, %v; want NaN", bad, c, w)
		}
	}
	// The recursion neither overflows nor loses the answer for huge N:
	// A = 9000 on 10000 servers hardly ever waits.
	if c, _ := ErlangC(9000, 1, 10000); !(c >= 0 && c < 1e-6) {
		t.Errorf("ErlangC(9000, 1, 10000) = %v, want a tiny probability", c)
	}
}

// mmnPoints are the M/M/N checks: loads 0.6, 0.8, 0.9. Session counts keep
// the relative standard error of the mean wait near 1% (measured over 20
// seeds: at most 1.5%, 2.3% and 2.0% off), so the 5% bound is about four
// standard errors wide.
var mmnPoints = []struct {
	n        int
	lambda   float64
	sessions int
	short    bool
}{
	{5, 3, 3_000_000, false},   // ρ = 0.6
	{10, 8, 4_000_000, true},   // ρ = 0.8
	{20, 18, 8_000_000, false}, // ρ = 0.9
}

func TestMMNAgreesWithErlangC(t *testing.T) {
	for _, p := range mmnPoints {
		if testing.Short() && !p.short {
			continue
		}
		c := Config{Mode: line.ModeEvenly, Operators: p.n, ArrivalRate: p.lambda, ServiceRate: 1, Limit: 1, Sessions: p.sessions, Seed: 1}
		t.Run(fmt.Sprintf("N=%d,rho=%.1f", p.n, p.lambda/float64(p.n)), func(t *testing.T) {
			r := run(t, c)
			pw, mw := ErlangC(p.lambda, 1, p.n)
			if r.ErlangCPWait == nil || r.ErlangCMeanWait == nil || *r.ErlangCPWait != pw || *r.ErlangCMeanWait != mw {
				t.Fatalf("Result Erlang C = %v, %v; want %v, %v", r.ErlangCPWait, r.ErlangCMeanWait, pw, mw)
			}
			within(t, "p_wait", r.PWait, pw, 0.05)
			within(t, "mean_wait", r.MeanWait, mw, 0.05)
			// In M/M/N a waiting session waits Exp(Nμ−λ): mean 1/(Nμ−λ),
			// and P(W > t) = C·e^{−(Nμ−λ)t}, so p90 = ln(10·C)/(Nμ−λ).
			gap := float64(p.n) - p.lambda
			within(t, "mean_wait_of_waiting", r.MeanWaitOfWaiting, 1/gap, 0.05)
			within(t, "p90_wait", r.P90Wait, math.Log(10*pw)/gap, 0.05)
			within(t, "utilization", r.Utilization, p.lambda/float64(p.n), 0.01)
			if r.Offers != int64(p.sessions) {
				t.Errorf("offers = %d, want one per session (%d)", r.Offers, p.sessions)
			}
			if want := p.sessions - p.sessions/100; r.MeasuredSessions != want {
				t.Errorf("measured_sessions = %d, want %d (1%% warm-up)", r.MeasuredSessions, want)
			}
		})
	}
}

// The M/M/N queue does not depend on which idle operator is chosen, so the
// strictly and all modes must match evenly (different seeds: independent
// samples).
func TestModesAgreeWithEvenly(t *testing.T) {
	base := Config{Operators: 10, ArrivalRate: 8, ServiceRate: 1, Limit: 1, Sessions: 4_000_000}
	if testing.Short() {
		base.Sessions = 2_000_000
	}
	pw, mw := ErlangC(8, 1, 10)
	ev := base
	ev.Mode, ev.Seed = line.ModeEvenly, 1
	re := run(t, ev)
	for i, mode := range []string{line.ModeStrictly, line.ModeAll} {
		c := base
		c.Mode, c.Seed = mode, uint64(2+i)
		r := run(t, c)
		t.Run(mode, func(t *testing.T) {
			within(t, "p_wait vs evenly", r.PWait, re.PWait, 0.04)
			within(t, "p_wait vs Erlang C", r.PWait, pw, 0.05)
			within(t, "mean_wait vs Erlang C", r.MeanWait, mw, 0.05)
			within(t, "utilization", r.Utilization, 0.8, 0.01)
		})
	}
}

// With limit L each operator works up to L sessions side by side, each at
// rate μ: M/M/(N·L), in every mode.
func TestLimitIsMMNL(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	pw, mw := ErlangC(9.6, 1, 12)
	for i, mode := range []string{line.ModeEvenly, line.ModeStrictly, line.ModeAll} {
		r := run(t, Config{Mode: mode, Operators: 4, Limit: 3, ArrivalRate: 9.6, ServiceRate: 1, Sessions: 4_000_000, Seed: uint64(10 + i)})
		t.Run(mode, func(t *testing.T) {
			if r.ErlangCPWait != nil {
				t.Errorf("erlang_c_p_wait = %v with L = 3, want null", *r.ErlangCPWait)
			}
			within(t, "p_wait vs M/M/12", r.PWait, pw, 0.05)
			within(t, "mean_wait vs M/M/12", r.MeanWait, mw, 0.05)
			within(t, "utilization", r.Utilization, 0.8, 0.01)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range []Config{
		{Mode: line.ModeEvenly, Operators: 7, ArrivalRate: 5, ServiceRate: 0.8, Sessions: 200_000, Seed: 42},
		{Mode: line.ModeStrictly, Operators: 7, ArrivalRate: 5, ServiceRate: 0.8, TakeProbability: 0.7, QueueTime: 2, Sessions: 100_000, Seed: 42},
		{Mode: line.ModeAll, Operators: 7, Limit: 2, ArrivalRate: 9, ServiceRate: 0.8, TakeProbability: 0.6, QueueTime: 2, Sessions: 100_000, Seed: 42},
	} {
		a, b := run(t, c), run(t, c)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: same seed, different results:\n%+v\n%+v", c.Mode, a, b)
		}
		c.Seed++
		if d := run(t, c); reflect.DeepEqual(a, d) {
			t.Errorf("%s: seeds 42 and 43 gave identical results", c.Mode)
		}
	}
}

// An operator who lets queue_time pass keeps the session offered to them
// for Q seconds (evenly, strictly: it also holds one of their places), so
// waits grow; every ignored offer is one more offer. In the all mode a
// session waits out queue_time only when nobody who sees it takes it.
func TestTakeProbabilityUsesQueueTime(t *testing.T) {
	for i, mode := range []string{line.ModeEvenly, line.ModeStrictly, line.ModeAll} {
		c := Config{Mode: mode, Operators: 10, ArrivalRate: 6.0 / 300, ServiceRate: 1.0 / 300, QueueTime: 60, Sessions: 200_000, Seed: uint64(20 + i)}
		sure := run(t, c)
		c.TakeProbability = 0.5
		half := run(t, c)
		t.Run(mode, func(t *testing.T) {
			t.Logf("mean wait: p=1 %.1f s, p=0.5 %.1f s; offers per session %.3f", sure.MeanWait, half.MeanWait, float64(half.Offers)/float64(half.Sessions))
			if !(half.MeanWait > 1.5*sure.MeanWait) {
				t.Errorf("mean wait with p=0.5 = %.1f s, want clearly above %.1f s (p=1)", half.MeanWait, sure.MeanWait)
			}
			if mode != line.ModeAll {
				// Half the sessions sit out at least one queue_time with
				// the operator they were offered to.
				if half.P90Wait < 60 {
					t.Errorf("p90 wait with p=0.5 = %.1f s, want at least one queue_time (60 s)", half.P90Wait)
				}
				// Offers per session are geometric with p = 0.5: mean 2.
				within(t, "offers per session", float64(half.Offers)/float64(half.Sessions), 2, 0.02)
			}
		})
	}
}

// offersOf runs a simulator of one session that nobody (practically)
// takes, recording who is offered it.
func offersOf(t *testing.T, mode string, busy []int, rounds int) [][]int {
	t.Helper()
	cfg := Config{Mode: mode, Operators: 3, ArrivalRate: 1, ServiceRate: 1, TakeProbability: 1e-300, QueueTime: 5, Sessions: 1}.withDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := newSimulator(cfg)
	for _, i := range busy {
		s.ops[i].Counted, s.ops[i].OpenTotal = 1, 1
	}
	var got [][]int
	s.onOffer = func(ops []int) { got = append(got, slices.Clone(ops)) }
	s.nextArrival = 1
	for len(got) < rounds && s.step() {
		for i := range s.ops {
			if s.ops[i].Counted > cfg.Limit {
				t.Fatalf("operator %d counts %d sessions, limit %d", i, s.ops[i].Counted, cfg.Limit)
			}
		}
	}
	if s.now != 1+float64(rounds-1)*5 {
		t.Errorf("%s: offer %d at %v s, want every queue_time (5 s) after arrival at 1 s", mode, rounds, s.now)
	}
	return got
}

// The offer moves on when queue_time passes: strictly to the next operator
// not yet tried (starting over when all were tried), evenly to the one
// offered least recently; all shows it again to everyone with room.
func TestOfferMovesOn(t *testing.T) {
	for _, tc := range []struct {
		mode string
		busy []int
		want [][]int
	}{
		{line.ModeStrictly, nil, [][]int{{0}, {1}, {2}, {0}, {1}, {2}, {0}}},
		{line.ModeStrictly, []int{1}, [][]int{{0}, {2}, {0}, {2}, {0}}},
		{line.ModeEvenly, nil, [][]int{{0}, {1}, {2}, {0}, {1}, {2}, {0}}},
		{line.ModeEvenly, []int{0}, [][]int{{1}, {2}, {1}, {2}}},
		{line.ModeEvenly, []int{0, 2}, [][]int{{1}, {1}, {1}}}, // the only eligible one is offered again
		{line.ModeAll, nil, [][]int{{0, 1, 2}, {0, 1, 2}}},
		{line.ModeAll, []int{1}, [][]int{{0, 2}, {0, 2}}},
	} {
		if got := offersOf(t, tc.mode, tc.busy, len(tc.want)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s, busy %v: offered %v, want %v", tc.mode, tc.busy, got, tc.want)
		}
	}
}

// Waiting sessions are served first come, first served: when every offer is
// taken at once, sessions are taken in arrival order.
func TestWaitingIsFIFO(t *testing.T) {
	for _, mode := range []string{line.ModeEvenly, line.ModeStrictly, line.ModeAll} {
		cfg := Config{Mode: mode, Operators: 3, ArrivalRate: 2.9, ServiceRate: 1, Sessions: 50_000, Seed: 5}.withDefaults()
		s := newSimulator(cfg)
		last, waited := int64(-1), 0
		s.onTake = func(seq int64) {
			if seq != last+1 {
				t.Fatalf("%s: session %d taken after session %d", mode, seq, last)
			}
			last = seq
		}
		s.nextArrival = s.rng.ExpFloat64() / cfg.ArrivalRate
		for s.step() {
			waited += len(s.waiting)
		}
		if last != int64(cfg.Sessions-1) || waited == 0 {
			t.Errorf("%s: last taken %d of %d, queue length sum %d", mode, last, cfg.Sessions, waited)
		}
	}
}

// Nobody eligible is left idle while sessions wait, and a run leaves no
// session or count behind, also when offers time out.
func TestNoIdleOperatorWhileSessionsWait(t *testing.T) {
	for _, mode := range []string{line.ModeEvenly, line.ModeStrictly, line.ModeAll} {
		cfg := Config{Mode: mode, Operators: 2, Limit: 2, ArrivalRate: 3, ServiceRate: 1, TakeProbability: 0.5, QueueTime: 0.3, Sessions: 20_000, Seed: 7}.withDefaults()
		s := newSimulator(cfg)
		s.nextArrival = s.rng.ExpFloat64() / cfg.ArrivalRate
		queued := 0
		for s.step() {
			if len(s.waiting) == 0 {
				continue
			}
			queued++
			for i := range s.ops {
				if s.rules.Eligible(&s.ops[i]) && s.ops[i].Counted < cfg.Limit {
					t.Fatalf("%s: at %v s operator %d could be offered a session while %d wait", mode, s.now, i, len(s.waiting))
				}
			}
			for i := range s.ops {
				if s.ops[i].Counted > cfg.Limit {
					t.Fatalf("%s: operator %d counts %d sessions, limit %d", mode, i, s.ops[i].Counted, cfg.Limit)
				}
			}
		}
		if queued == 0 {
			t.Fatalf("%s: the queue never formed; the test checks nothing", mode)
		}
		if s.held != 0 || len(s.waiting) != 0 || len(s.free) != len(s.sessions) {
			t.Errorf("%s: run ended with %d held, %d waiting, %d of %d slots free", mode, s.held, len(s.waiting), len(s.free), len(s.sessions))
		}
		for i, op := range s.ops {
			if op.Counted != 0 || op.OpenTotal != 0 {
				t.Errorf("%s: operator %d ends with counted %d, open %d", mode, i, op.Counted, op.OpenTotal)
			}
		}
	}
}

func TestWaitQueueOrder(t *testing.T) {
	var q waitQueue
	for _, seq := range []int64{5, 3, 9, 1, 7, 3, 0, 8} {
		q.push(waiting{seq: seq, slot: int32(seq)})
	}
	var got []int64
	for q.Len() > 0 {
		got = append(got, q.pop().seq)
	}
	if want := []int64{0, 1, 3, 3, 5, 7, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("popped %v, want %v", got, want)
	}
}

func TestOverload(t *testing.T) {
	r := run(t, Config{Operators: 5, ArrivalRate: 6, ServiceRate: 1, Sessions: 50_000, Seed: 1})
	if r.ErlangCPWait != nil || r.ErlangCMeanWait != nil {
		t.Errorf("Erlang C given for λ ≥ Nμ: %v, %v", r.ErlangCPWait, r.ErlangCMeanWait)
	}
	if r.Load != 1.2 || r.PWait < 0.99 || r.Utilization < 0.99 {
		t.Errorf("overloaded line: load %v, p_wait %v, utilization %v", r.Load, r.PWait, r.Utilization)
	}
}

func TestValidate(t *testing.T) {
	good := Config{Operators: 1, ArrivalRate: 1, ServiceRate: 1, Sessions: 1}
	if err := good.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"mode":             func(c *Config) { c.Mode = "random" },
		"operators":        func(c *Config) { c.Operators = 0 },
		"arrival rate":     func(c *Config) { c.ArrivalRate = math.NaN() },
		"service rate":     func(c *Config) { c.ServiceRate = -1 },
		"limit":            func(c *Config) { c.Limit = 1001 },
		"queue time":       func(c *Config) { c.QueueTime = 43201 },
		"take probability": func(c *Config) { c.TakeProbability = 1.5 },
		"sessions":         func(c *Config) { c.Sessions = MaxSessions + 1 },
	} {
		c := good
		mut(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s: Validate() = %v, want an error naming it", name, err)
		}
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%s: Run accepted a bad config", name)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Config{Operators: 5, ArrivalRate: 4, ServiceRate: 1, Sessions: MaxSessions})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestTinyRuns(t *testing.T) {
	for _, n := range []int{1, 2, 99, 100} {
		r := run(t, Config{Operators: 1, ArrivalRate: 1, ServiceRate: 2, Sessions: n, Seed: 3})
		if r.Sessions != n || r.MeasuredSessions != n-n/100 || math.IsNaN(r.Utilization) || math.IsNaN(r.MeanWait) {
			t.Errorf("%d sessions: %+v", n, r)
		}
	}
}

func BenchmarkSimulate1M(b *testing.B) {
	const sessions = 1_000_000
	c := Config{Mode: line.ModeEvenly, Operators: 10, ArrivalRate: 8, ServiceRate: 1, Sessions: sessions, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/sessions, "ns/session")
}
