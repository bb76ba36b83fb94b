package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// BacklogResult is the backlog scenario's detail.
type BacklogResult struct {
	Sessions  int `json:"sessions"`
	Operators int `json:"operators"`
	Limit     int `json:"limit"` // per operator: an equal share of the backlog
	// DrainSeconds runs from the first status change to the last offer.
	DrainSeconds float64 `json:"drain_s"`
	// OnlineSeconds is how long it took until every operator's
	// PUT /me/status online was answered.
	OnlineSeconds float64 `json:"online_s"`
	// WatchDrops counts how often the server dropped the watching socket
	// for falling behind (its send queue is bounded); the offers it missed
	// were then confirmed through GET /api/v1/dialogs.
	WatchDrops int    `json:"watch_drops"`
	Completion string `json:"completion"` // "events", or "events+poll" after drops
}

// offerWatch counts the distinct sessions of a line offered, from the
// session.offered events on a WebSocket. When the server drops the socket
// it reconnects and remembers when it was dropped: the offers it missed
// were published at that moment.
type offerWatch struct {
	lineID string
	mu     sync.Mutex
	seen   map[string]bool
	last   time.Time // of the latest offer seen, or of the latest drop
	drops  int
}

func (w *offerWatch) state() (int, time.Time, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen), w.last, w.drops
}

// run keeps a socket open until ctx ends; first is closed once the first
// connection is up (or has failed).
func (w *offerWatch) run(ctx context.Context, e *env, first chan<- error) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		c, err := e.a.dial(ctx, e.admin, e.cfg.Timeout)
		if first != nil {
			first <- err
			close(first)
			first = nil
			if err != nil {
				return
			}
		}
		if err != nil {
			if attempt > 100 {
				return // the drain is then confirmed by polling alone
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		readEvents(ctx, c, func(ev *event, at time.Time) {
			if ev.Type == "session.offered" && ev.LineID == w.lineID && ev.SessionID != "" {
				w.mu.Lock()
				if !w.seen[ev.SessionID] {
					w.seen[ev.SessionID] = true
					w.last = at
				}
				w.mu.Unlock()
			}
		})
		c.CloseNow()
		if ctx.Err() == nil {
			w.mu.Lock()
			w.drops++
			w.last = time.Now()
			w.mu.Unlock()
		}
	}
}

// runBacklog: cfg.Sessions customers open sessions on a line whose
// operators are all offline (the line checks availability), then the
// operators come online together and the routing engine offers the whole
// backlog, each operator up to an equal share. It measures offers per
// second until every session is offered and, meanwhile, the latency of
// status changes (the operators' own, and a probe operator outside the line
// switching between away and online).
func runBacklog(ctx context.Context, e *env, res *Result) error {
	cfg := e.cfg
	n, m := cfg.Sessions, len(e.ops)
	e.logf("backlog: %d customers open sessions while the %d operators are offline", n, m)
	created, err := e.customers(ctx, "b", n)
	if err != nil {
		return fmt.Errorf("backlog: %w", err)
	}
	res.addThroughput("backlog_sessions", created.OK, created.Elapsed)
	if offered, queued, err := e.a.countOffered(ctx, e.lineID); err != nil {
		return err
	} else if offered != 0 || queued != n {
		return fmt.Errorf("backlog: %d sessions queued and %d offered before any operator is online; want %d and 0", queued, offered, n)
	}

	w := &offerWatch{lineID: e.lineID, seen: map[string]bool{}}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	first := make(chan error, 1)
	watched := make(chan struct{})
	go func() { defer close(watched); w.run(watchCtx, e, first) }()
	if err := <-first; err != nil {
		return fmt.Errorf("watch socket: %w", err)
	}
	defer func() { stopWatch(); <-watched }()

	var mu sync.Mutex
	status := newSampler(maxSamples)
	timed := func(ctx context.Context, u *account, s string) {
		rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		t := time.Now()
		err := e.a.setStatus(rctx, u, s)
		d := time.Since(t)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Errors[errorKey(err)]++
			return
		}
		status.add(d)
	}
	e.logf("backlog: %d operators come online", m)
	t0 := time.Now()
	drained := make(chan struct{})
	probed := make(chan struct{})
	go func() { // the probe: status changes while the backlog drains
		defer close(probed)
		for i := 0; ; i++ {
			timed(ctx, e.probe, []string{"online", "away"}[i%2])
			select {
			case <-drained:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var online time.Duration
	onlined := make(chan struct{})
	go func() {
		defer close(onlined)
		parallel(ctx, m, cfg.Connections, func(i int) error { timed(ctx, e.ops[i], "online"); return nil })
		online = time.Since(t0)
	}()
	stop := func() { close(drained); <-probed; <-onlined }

	br := &BacklogResult{Sessions: n, Operators: m, Limit: (n + m - 1) / m, Completion: "events"}
	var end time.Time
	deadline := t0.Add(cfg.Timeout)
	var lastPoll time.Time
	for {
		seen, last, drops := w.state()
		if seen >= n {
			end = last
			break
		}
		quiet := time.Since(last)
		if last.IsZero() {
			quiet = time.Since(t0)
		}
		if ((drops > 0 && quiet > 300*time.Millisecond) || quiet > time.Second) && time.Since(lastPoll) > 500*time.Millisecond {
			lastPoll = time.Now()
			offered, _, err := e.a.countOffered(ctx, e.lineID)
			if err != nil {
				stop()
				return err
			}
			if offered >= n {
				end, br.Completion = last, "events+poll"
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return fmt.Errorf("backlog: %d of %d sessions offered (as far as the socket saw) within %v; raise --timeout", seen, n, cfg.Timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	_, _, br.WatchDrops = w.state()
	drain := end.Sub(t0)
	br.DrainSeconds = round3(drain.Seconds())
	br.OnlineSeconds = round3(online.Seconds())
	lat := summarize("status_change", status.d, status.seen, status.max)
	res.Backlog = br
	res.Elapsed = br.DrainSeconds
	res.Throughput = append([]Throughput{{Name: "offers", Count: int64(n), Seconds: br.DrainSeconds, PerSecond: round1(float64(n) / drain.Seconds())}}, res.Throughput...)
	res.Latency = append(res.Latency, lat, created.latency("backlog_request"))
	return nil
}
