// Package sim is a discrete-event simulator of one open line, used to size a
// team before hiring and to check the routing against queueing theory.
//
// Customers arrive as a Poisson process with rate λ (per second); an operator
// handles a session for an exponentially distributed time with rate μ; the
// line has N operators, a distribution mode (evenly, strictly, all), a
// per-operator limit L (limit_enabled with limit L) and a queue_time Q. Every
// routing decision is made by the production rules in package routing
// (Rules.Choose, Rules.ChooseAll, Rules.Eligible) over a []routing.Operator
// kept up to date by the simulator, so the simulator checks the very code the
// server runs. With L = 1 and every offer taken at once the line is the
// classic M/M/N queue, whose waiting probability and mean wait are given by
// the Erlang C formula (ErlangC); with L > 1 each operator works up to L
// sessions side by side, each at rate μ, which is M/M/(N·L).
//
// The model, precisely:
//   - Waiting sessions are offered in arrival order (FIFO) the moment
//     capacity appears, i.e. when an operator finishes a session or an offer
//     times out (SPEC §5).
//   - An offered operator takes the session at once with probability
//     Config.TakeProbability (default 1); otherwise they let queue_time pass
//     and the offer moves on: in the strictly mode to the next operator not
//     yet tried for the session, in the evenly mode to the operator offered
//     least recently. While an offer to one operator stands it counts among
//     that operator's open sessions (SPEC §5.3–4), so it occupies one of
//     their L places.
//   - In the all mode every eligible operator with room sees the session and
//     the first to take it wins; the winner is one of them uniformly at
//     random. The line enforces no limit in this mode (SPEC §5.4;
//     Rules.Eligible ignores it), so the simulator treats L as what one
//     operator can handle at once: an operator who already holds L sessions
//     does not take another, and the session waits for the first operator
//     with room. With TakeProbability p < 1 each of the k operators who see
//     it takes it with probability p; when none does, queue_time passes and
//     it is shown again to whoever has room then.
//   - Warm-up: the first 1% of sessions (by arrival) are simulated but left
//     out of every statistic, so that the empty start does not bias the
//     steady-state figures. Utilization is measured over the same window,
//     from the arrival of the first measured session to the last arrival.
//   - The run ends when every session has been handled; sessions arriving
//     late are therefore measured in full.
//
// Runs are reproducible: the same Config (Seed included) gives the same
// Result, bit for bit.
package sim

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
)

// Bounds of a Config.
const (
	MaxOperators = line.MaxQueueMembers
	MaxSessions  = 100_000_000
)

// Config describes one simulated line and run.
type Config struct {
	Mode            string  // line.ModeEvenly (default), line.ModeStrictly, line.ModeAll
	Operators       int     // N, 1..MaxOperators
	ArrivalRate     float64 // λ: sessions per second, > 0
	ServiceRate     float64 // μ: sessions one operator finishes per second of handling, > 0
	Limit           int     // L: sessions per operator at once, 1..line.MaxLimit (0 means 1)
	QueueTime       float64 // Q: seconds an offered operator has to take a session, (0, line.MaxQueueTime] (0 means 60)
	TakeProbability float64 // chance an offered operator takes the session at once, (0, 1] (0 means 1)
	Sessions        int     // sessions to simulate, 1..MaxSessions
	Seed            uint64
}

// withDefaults fills the zero values that have a default.
func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = line.ModeEvenly
	}
	if c.Limit == 0 {
		c.Limit = 1
	}
	if c.QueueTime == 0 {
		c.QueueTime = 60
	}
	if c.TakeProbability == 0 {
		c.TakeProbability = 1
	}
	return c
}

// Validate reports the first setting out of range, naming it. Zero values
// that have a default are accepted.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Mode != line.ModeEvenly && c.Mode != line.ModeStrictly && c.Mode != line.ModeAll:
		return fmt.Errorf("mode: %q is not one of evenly, strictly, all", c.Mode)
	case c.Operators < 1 || c.Operators > MaxOperators:
		return fmt.Errorf("operators: %d is out of range 1..%d", c.Operators, MaxOperators)
	case !(c.ArrivalRate > 0) || math.IsInf(c.ArrivalRate, 0):
		return fmt.Errorf("arrival rate: %v must be a positive number", c.ArrivalRate)
	case !(c.ServiceRate > 0) || math.IsInf(c.ServiceRate, 0):
		return fmt.Errorf("service rate: %v must be a positive number", c.ServiceRate)
	case c.Limit < 1 || c.Limit > line.MaxLimit:
		return fmt.Errorf("limit: %d is out of range 1..%d", c.Limit, line.MaxLimit)
	case !(c.QueueTime > 0) || c.QueueTime > line.MaxQueueTime:
		return fmt.Errorf("queue time: %v is out of range (0, %d] seconds", c.QueueTime, line.MaxQueueTime)
	case !(c.TakeProbability > 0) || c.TakeProbability > 1:
		return fmt.Errorf("take probability: %v is out of range (0, 1]", c.TakeProbability)
	case c.Sessions < 1 || c.Sessions > MaxSessions:
		return fmt.Errorf("sessions: %d is out of range 1..%d", c.Sessions, MaxSessions)
	}
	return nil
}

// Load is the offered load per place, λ/(N·L·μ). At 1 or more the queue
// grows without bound.
func (c Config) Load() float64 {
	c = c.withDefaults()
	return c.ArrivalRate / (float64(c.Operators) * float64(c.Limit) * c.ServiceRate)
}

// Result holds the statistics of a run. Sessions and Offers count the whole
// run; every other figure leaves out the warm-up (the first 1% of sessions).
type Result struct {
	Sessions         int `json:"sessions"`          // sessions simulated
	MeasuredSessions int `json:"measured_sessions"` // sessions after the warm-up
	// PWait is the fraction of arrivals that could not be offered at once
	// because nobody was eligible (all mode: nobody had room).
	PWait float64 `json:"p_wait"`
	// MeanWait is the mean time from arrival to being taken, over all
	// measured sessions (those taken at once count 0).
	MeanWait float64 `json:"mean_wait_seconds"`
	// P90Wait is the 90th percentile of that time (0.05% relative
	// resolution).
	P90Wait float64 `json:"p90_wait_seconds"`
	// MeanWaitOfWaiting is the mean wait of the sessions not taken at once
	// (0 when there were none).
	MeanWaitOfWaiting float64 `json:"mean_wait_of_waiting_seconds"`
	// Utilization is the handled session-time over N·L times the measured
	// window: with L = 1, the fraction of time operators are busy. It tends
	// to Load when Load < 1.
	Utilization float64 `json:"utilization"`
	// Load is λ/(N·L·μ), the utilization theory predicts (≥ 1: unstable).
	Load float64 `json:"load"`
	// Offers counts offers made: one per operator shown a session (in the
	// all mode every operator who sees it counts).
	Offers int64 `json:"offers"`
	// Erlang C values for (λ, μ, N): present when L = 1 and λ < N·μ.
	ErlangCPWait    *float64 `json:"erlang_c_p_wait"`
	ErlangCMeanWait *float64 `json:"erlang_c_mean_wait_seconds"`
	// ElapsedVirtualSeconds is the simulated time of the whole run, until
	// the last session was handled.
	ElapsedVirtualSeconds float64 `json:"elapsed_virtual_seconds"`
	// MeasuredVirtualSeconds is the window utilization is measured over.
	MeasuredVirtualSeconds float64 `json:"measured_virtual_seconds"`
}

// ErlangC returns, for an M/M/n queue with arrival rate lambda and service
// rate mu per server, the probability that an arrival waits and the mean
// wait over all arrivals, C / (n·mu − lambda). It runs the Erlang B
// recursion B(k) = A·B(k−1) / (k + A·B(k−1)), A = lambda/mu, which stays
// stable for any n, then C = B / (1 − ρ(1 − B)), ρ = A/n. When lambda ≥ n·mu
// every arrival waits and the mean wait is +Inf; lambda = 0 gives 0, 0; n < 1,
// mu ≤ 0, lambda < 0 or NaNs give NaN, NaN.
func ErlangC(lambda, mu float64, n int) (pWait, meanWait float64) {
	if n < 1 || !(mu > 0) || !(lambda >= 0) || math.IsInf(mu, 0) || math.IsInf(lambda, 0) {
		return math.NaN(), math.NaN()
	}
	if lambda == 0 {
		return 0, 0
	}
	nmu := float64(n) * mu
	if lambda >= nmu {
		return 1, math.Inf(1)
	}
	a := lambda / mu
	b := 1.0
	for k := 1; k <= n; k++ {
		ab := a * b
		b = ab / (float64(k) + ab)
	}
	rho := a / float64(n)
	c := b / (1 - rho*(1-b))
	return c, c / (nmu - lambda)
}

// Run simulates cfg until every session has been handled. It stops early
// with ctx's error when ctx is done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	s := newSimulator(cfg)
	if err := s.run(ctx); err != nil {
		return Result{}, err
	}
	return s.result(), nil
}

// Event kinds.
const (
	evDone    = iota // an operator finished a session
	evTimeout        // queue_time passed on an offer nobody took
)

type event struct {
	t    float64
	kind uint8
	op   int32 // operator (evDone; evTimeout in evenly/strictly), else -1
	slot int32 // session slot (evTimeout)
}

// eventHeap is a min-heap on time for container/heap. The simulator adds and
// removes events through push and pop below, which use heap.Fix on the slice
// in place instead of heap.Push/heap.Pop, whose `any` argument and result
// would allocate on every event.
type eventHeap []event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].t < h[j].t }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	heap.Fix(h, len(*h)-1)
}

func (h *eventHeap) pop() event {
	old := *h
	e := old[0]
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	if n > 0 {
		heap.Fix(h, 0)
	}
	return e
}

// waitQueue holds waiting sessions, earliest arrival first. Sessions join
// it on arrival and again when an offer times out with nobody to move on to,
// so it is a heap on arrival number rather than a plain FIFO.
type waitQueue []waiting

type waiting struct {
	seq  int64
	slot int32
}

func (q waitQueue) Len() int { return len(q) }

func (q *waitQueue) push(w waiting) {
	*q = append(*q, w)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].seq <= h[i].seq {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (q *waitQueue) pop() waiting {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].seq < h[l].seq {
			m = r
		}
		if h[i].seq <= h[m].seq {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// session is a session not yet taken.
type session struct {
	arrival float64
	seq     int64
	tried   []uint64 // strictly mode with TakeProbability < 1: operators tried this round
}

// Histogram of positive waits for the p90: geometric buckets of relative
// width histStep from histMin seconds up.
const (
	histMin     = 1e-6
	histStep    = 1e-3
	histBuckets = 42000 // up to histMin·(1+histStep)^histBuckets ≈ 1.7e12 s
)

type simulator struct {
	cfg   Config
	rules routing.Rules
	ops   []routing.Operator
	rng   *rand.Rand

	now         float64
	nextArrival float64
	arrived     int64
	total       int64
	warm        int64 // sessions before this arrival number are not measured

	events   eventHeap
	waiting  waitQueue
	sessions []session
	free     []int32
	clock    int64   // offer counter: LastOfferedAt
	cand     []int   // all mode: candidates with room
	words    int     // len of a tried bitset
	fastTake bool    // TakeProbability == 1
	logStep  float64 // 1/ln(1+histStep)

	// statistics
	offers      int64
	held        int // sessions being handled
	inWindow    bool
	winStart    float64
	winEnd      float64
	lastT       float64
	heldArea    float64 // ∫ held dt over the window
	measured    int64
	waited      int64 // not offered at once
	waitSum     float64
	positive    int64 // taken with a wait > 0
	positiveSum float64
	hist        []uint64

	onOffer func(ops []int) // tests: who is offered each time
	onTake  func(seq int64) // tests: which session is taken
}

func newSimulator(cfg Config) *simulator {
	const mix = 0x9e3779b97f4a7c15
	s := &simulator{
		cfg: cfg,
		// limit_enabled with limit L: evenly and strictly never offer an
		// operator more than L sessions; all ignores the limit (SPEC §5.4).
		rules:    routing.Rules{Mode: cfg.Mode, LimitEnabled: true, Limit: cfg.Limit},
		ops:      make([]routing.Operator, cfg.Operators),
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^mix)),
		total:    int64(cfg.Sessions),
		warm:     int64(cfg.Sessions / 100),
		words:    (cfg.Operators + 63) / 64,
		fastTake: cfg.TakeProbability >= 1,
		logStep:  1 / math.Log1p(histStep),
		hist:     make([]uint64, histBuckets),
	}
	for i := range s.ops {
		s.ops[i] = routing.Operator{ID: fmt.Sprintf("op%d", i+1), Active: true, Available: true}
	}
	slots := min(cfg.Operators*cfg.Limit+16, 1<<16)
	s.events = make(eventHeap, 0, slots)
	s.sessions = make([]session, 0, slots)
	s.free = make([]int32, 0, slots)
	if cfg.Mode == line.ModeAll {
		s.cand = make([]int, 0, cfg.Operators)
	}
	return s
}

func (s *simulator) run(ctx context.Context) error {
	s.nextArrival = s.rng.ExpFloat64() / s.cfg.ArrivalRate
	for n := 0; s.step(); n++ {
		if n&(1<<16-1) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// step handles the next arrival or event; it reports false when there is
// none left.
func (s *simulator) step() bool {
	if s.arrived < s.total && (len(s.events) == 0 || s.nextArrival <= s.events[0].t) {
		s.advance(s.nextArrival)
		s.arrive()
		return true
	}
	if len(s.events) == 0 {
		return false
	}
	e := s.events.pop()
	s.advance(e.t)
	switch e.kind {
	case evDone:
		s.held--
		s.release(int(e.op))
	case evTimeout:
		if e.op >= 0 {
			s.release(int(e.op))
		}
		s.waiting.push(waiting{s.sessions[e.slot].seq, e.slot})
	}
	s.dispatch()
	return true
}

// advance moves the clock to t, integrating the sessions being handled over
// the measured window.
func (s *simulator) advance(t float64) {
	if s.inWindow {
		s.heldArea += float64(s.held) * (t - s.lastT)
	}
	s.lastT = t
	s.now = t
}

func (s *simulator) arrive() {
	seq := s.arrived
	s.arrived++
	if seq == s.warm {
		s.inWindow = true
		s.winStart = s.now
	}
	if seq == s.total-1 {
		s.inWindow = false
		s.winEnd = s.now
	} else {
		s.nextArrival = s.now + s.rng.ExpFloat64()/s.cfg.ArrivalRate
	}
	slot := s.alloc()
	s.sessions[slot].arrival = s.now
	s.sessions[slot].seq = seq
	if len(s.waiting) == 0 && s.offer(slot) {
		return
	}
	if seq >= s.warm {
		s.waited++
	}
	s.waiting.push(waiting{seq, slot})
}

// dispatch offers waiting sessions in arrival order while anyone can take
// one. Eligibility does not depend on the session, so the first session
// nobody can be offered ends the pass.
func (s *simulator) dispatch() {
	for len(s.waiting) > 0 {
		if !s.offer(s.waiting[0].slot) {
			return
		}
		s.waiting.pop()
	}
}

// offer offers the session in slot through the routing rules. It reports
// false, changing nothing, when nobody is eligible.
func (s *simulator) offer(slot int32) bool {
	if s.cfg.Mode == line.ModeAll {
		return s.offerAll(slot)
	}
	var tried func(int) bool
	var bits []uint64
	if s.cfg.Mode == line.ModeStrictly && !s.fastTake {
		bits = s.sessions[slot].tried
		if bits == nil {
			bits = make([]uint64, s.words)
			s.sessions[slot].tried = bits
		}
		tried = func(i int) bool { return bits[i>>6]&(1<<(i&63)) != 0 }
	}
	i, wrapped := s.rules.Choose(s.ops, tried)
	if i < 0 {
		return false
	}
	if wrapped {
		clear(bits)
	}
	s.clock++
	op := &s.ops[i]
	op.LastOfferedAt = s.clock
	// Offered to this operator alone: an open session of theirs until it
	// is taken or the offer times out.
	op.Counted++
	op.OpenTotal++
	s.offers++
	if s.onOffer != nil {
		s.onOffer([]int{i})
	}
	if s.fastTake || s.rng.Float64() < s.cfg.TakeProbability {
		s.take(slot, i)
		return true
	}
	if bits != nil {
		bits[i>>6] |= 1 << (i & 63)
	}
	s.events.push(event{t: s.now + s.cfg.QueueTime, kind: evTimeout, op: int32(i), slot: slot})
	return true
}

func (s *simulator) offerAll(slot int32) bool {
	s.cand = s.cand[:0]
	for _, i := range s.rules.ChooseAll(s.ops) {
		if s.ops[i].Counted < s.cfg.Limit { // room: see the package comment
			s.cand = append(s.cand, i)
		}
	}
	k := len(s.cand)
	if k == 0 {
		return false
	}
	s.offers += int64(k)
	if s.onOffer != nil {
		s.onOffer(s.cand)
	}
	// Each of the k takes it with probability p; someone does with
	// 1-(1-p)^k, and by symmetry the winner is uniform among the k.
	if s.fastTake || s.rng.Float64() < -math.Expm1(float64(k)*math.Log1p(-s.cfg.TakeProbability)) {
		i := s.cand[s.rng.IntN(k)]
		s.ops[i].Counted++
		s.ops[i].OpenTotal++
		s.take(slot, i)
		return true
	}
	s.events.push(event{t: s.now + s.cfg.QueueTime, kind: evTimeout, op: -1, slot: slot})
	return true
}

// take: operator i, already counting the session, starts handling it.
func (s *simulator) take(slot int32, i int) {
	ss := &s.sessions[slot]
	if s.onTake != nil {
		s.onTake(ss.seq)
	}
	if ss.seq >= s.warm {
		w := s.now - ss.arrival
		s.measured++
		s.waitSum += w
		if w > 0 {
			s.positive++
			s.positiveSum += w
			b := 0
			if w > histMin {
				b = min(int(math.Log(w/histMin)*s.logStep), histBuckets-1)
			}
			s.hist[b]++
		}
	}
	s.held++
	s.events.push(event{t: s.now + s.rng.ExpFloat64()/s.cfg.ServiceRate, kind: evDone, op: int32(i)})
	s.freeSlot(slot)
}

// release: operator i no longer holds (or is no longer offered) a session.
func (s *simulator) release(i int) {
	s.ops[i].Counted--
	s.ops[i].OpenTotal--
}

func (s *simulator) alloc() int32 {
	if n := len(s.free); n > 0 {
		slot := s.free[n-1]
		s.free = s.free[:n-1]
		return slot
	}
	s.sessions = append(s.sessions, session{})
	return int32(len(s.sessions) - 1)
}

func (s *simulator) freeSlot(slot int32) {
	clear(s.sessions[slot].tried)
	s.free = append(s.free, slot)
}

func (s *simulator) result() Result {
	r := Result{
		Sessions:               s.cfg.Sessions,
		MeasuredSessions:       int(s.measured),
		Load:                   s.cfg.Load(),
		Offers:                 s.offers,
		ElapsedVirtualSeconds:  s.now,
		MeasuredVirtualSeconds: s.winEnd - s.winStart,
	}
	if s.measured > 0 {
		m := float64(s.measured)
		r.PWait = float64(s.waited) / m
		r.MeanWait = s.waitSum / m
		r.P90Wait = s.quantile(0.9)
	}
	if s.positive > 0 {
		r.MeanWaitOfWaiting = s.positiveSum / float64(s.positive)
	}
	if r.MeasuredVirtualSeconds > 0 {
		r.Utilization = s.heldArea / (float64(s.cfg.Operators) * float64(s.cfg.Limit) * r.MeasuredVirtualSeconds)
	}
	if s.cfg.Limit == 1 && s.cfg.ArrivalRate < float64(s.cfg.Operators)*s.cfg.ServiceRate {
		p, w := ErlangC(s.cfg.ArrivalRate, s.cfg.ServiceRate, s.cfg.Operators)
		r.ErlangCPWait, r.ErlangCMeanWait = &p, &w
	}
	return r
}

// quantile returns the q-quantile of the measured waits: the smallest wait w
// with at least a fraction q of the waits ≤ w.
func (s *simulator) quantile(q float64) float64 {
	rank := int64(math.Ceil(q * float64(s.measured)))
	zeros := s.measured - s.positive
	if rank <= zeros {
		return 0
	}
	seen := zeros
	for b, c := range s.hist {
		seen += int64(c)
		if seen >= rank {
			return histMin * math.Exp((float64(b)+0.5)/s.logStep)
		}
	}
	return math.Inf(1) // unreachable: the histogram holds every positive wait
}
